"""An e-invoice checked through the API against the same official rules run straight with saxonche.

Checked through the API: the same file sent to `POST /invoices/check` (JWT, multipart, the contracts service over
gRPC: the safe reading, the scenario, the XML schema, the EN 16931 and XRechnung rules; nothing kept). Uploaded
through the API: Rheintal's XRechnung for Bruchsal's VPN seats, uploaded as a multipart form (JWT, the gateway, the
contracts service over gRPC: the safe reading, the scenario, the XML schema, the EN 16931 and XRechnung rules, the
catalog lookup, matching against the call-offs and the stored record), one upload at a time, each with its own
number. The physical limit, in this process: the same document parsed by lxml, checked against the UBL schema, and
transformed by the same two compiled stylesheets (EN 16931, XRechnung) with saxonche, nothing else.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import httpx
from civicpool_cli import demo
from civicpool_cli.stack import Stack
from civicpool_einvoice import scenarios, writing
from harness import measure_interleaved
from lxml import etree
from saxonche import PySaxonProcessor

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class RawRules:
    """The compiled rules alone: the UBL schema with lxml, then both stylesheets with saxonche."""

    def __init__(self) -> None:
        self._saxon = PySaxonProcessor(license=False)
        compiler = self._saxon.new_xslt30_processor()
        stylesheets = (scenarios.RESOURCES["EN16931-UBL-validation.xsl"],
                       scenarios.RESOURCES["XRechnung-UBL-validation.xsl"])  # fmt: skip
        self._executables = [compiler.compile_stylesheet(stylesheet_file=str(path)) for path in stylesheets]
        self._schema = etree.XMLSchema(etree.parse(str(scenarios.RESOURCES["UBL-Invoice-2.1.xsd"]), PARSER))

    def check(self, document: bytes) -> int:
        parsed = etree.fromstring(document, PARSER)
        assert self._schema.validate(parsed)
        node = self._saxon.parse_xml(xml_text=document.decode())
        return sum(len(executable.transform_to_string(xdm_node=node) or "") for executable in self._executables)


def _invoices(contract: dict[str, Any], leitweg_id: str) -> Callable[[], bytes]:
    """A new invoice number each time: the same document otherwise (one duplicate check each, no duplicates)."""
    rheintal = demo.VENDORS[0]
    seller = writing.Party(rheintal.name, "Rheinstraße 12", "Karlsruhe", "76185", rheintal.contact_email,
                           vat_id=rheintal.vat_id or "", contact_name="Vertrieb", phone="+49 721 555 0100")  # fmt: skip
    buyer = writing.Party("Stadt Bruchsal", "Kaiserstraße 66", "Bruchsal", "76646", "rechnung@bruchsal.example")
    line = writing.Line(contract["sku"], contract["name"], 1, contract["unit_price_cents"], 1900)
    numbers = itertools.count(1)

    def next_invoice() -> bytes:
        return writing.ubl_invoice(writing.Draft(
            number=f"BENCH-{next(numbers):06d}", issue_date=dt.date.today(), buyer_reference=leitweg_id,
            seller=seller, buyer=buyer, lines=[line], iban=demo.DEMO_IBAN, payment_terms="30 Tage netto",
            contract_reference=contract["reference"],
        ))  # fmt: skip

    return next_invoice


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    vendor = httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30.0,
                               headers={"Authorization": f"Bearer {token_for('vendor.rheintal')}"})  # fmt: skip
    async with vendor:
        contracts = (await vendor.get("/contracts", params={"limit": 500})).json()["data"]
        vpn = next(c for c in contracts if c["sku"] == "VPN-SEAT" and c["status"] == "active")
        leitweg_id = (await vendor.get("/cities/bruchsal")).json()["billing_units"][0]["leitweg_id"]
        invoices = _invoices(vpn, leitweg_id)
        sample = invoices()
        raw = RawRules()

        async def direct() -> None:
            raw.check(sample)

        async def checked_through_api() -> None:
            answer = await vendor.post("/invoices/check", files={"file": ("rechnung.xml", sample, "application/xml")})
            assert answer.status_code == 200 and answer.json()["accepted"], answer.text

        async def uploaded_through_api() -> None:
            answer = await vendor.post("/invoices", files={"file": ("rechnung.xml", invoices(), "application/xml")})
            assert answer.status_code == 201 and answer.json()["status"] != "invalid", answer.text

        results = await measure_interleaved([
            ("saxonche + lxml, the compiled rules", direct), ("POST /invoices/check (gateway)", checked_through_api),
            ("POST /invoices (gateway)", uploaded_through_api),
        ], seconds)  # fmt: skip
    direct_result, checked, uploaded = results
    return "\n".join([
        "invoices: one typical XRechnung (UBL, one line) checked by the official rules, one at a time",
        f"{'path':<40}{'median ms':>12}{'p95 ms':>10}",
        *(f"{r.name:<40}{r.median / 1000:>12.1f}{r.p95 / 1000:>10.1f}" for r in results),
        f"ratio (rules alone / checked through the API): {direct_result.median / checked.median:.2f}x (goal >= 0.8x)",
        f"ratio (rules alone / uploaded, matched and stored): {direct_result.median / uploaded.median:.2f}x",
    ])  # fmt: skip
