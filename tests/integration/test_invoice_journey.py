"""The e-invoice loop end to end through the generated SDK, with the demo's real Keycloak users and invoices made
independently of civicpool's code (tests/support/einvoices.py: CII by drafthorse in a ZUGFeRD PDF by factur-x, UBL
by template).

Bruchsal calls off 40 notebooks; Rheintal sends a ZUGFeRD PDF for 40 at the contract price: matched; Bruchsal's
finance approves it, and Bruchsal's statement shows it. An invoice at a higher unit price is mismatched with the
difference; the same number again is a duplicate; Bühl's Leitweg-ID on Bruchsal's call-off is mismatched.
Rastatt's finance sees none of Bruchsal's invoices; who uploaded an invoice cannot approve it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from civicpool_client import CallOffBody, ContractsApi, InvoicesApi, ReportsApi
from civicpool_client.exceptions import ApiException
from civicpool_common import leitweg

from tests.conftest import ApiFactory
from tests.integration.conftest import Client
from tests.support.einvoices import Line, cii_invoice, ubl_invoice, zugferd_pdf
from tests.support.tenders import awarded

PRICE = 89_900
RHEINTAL_VAT = "DE812345673"
BRUCHSAL_LW, BUEHL_LW = str(leitweg.make("08215009", "RECHNUNG")), str(leitweg.make("08216007", "RECHNUNG"))


def test_a_zugferd_invoice_is_matched_approved_and_booked_and_every_difference_caught(
    api: ApiFactory, client: Client
) -> None:
    demand = (("bruchsal.it", "LAPTOP-14", 45), ("buehl.it", "LAPTOP-14", 10))
    [contract] = awarded(api, PRICE, bidders=("rheintal", "schwarzwald"), demand=demand)["contracts"]
    called = ContractsApi(client("bruchsal.it")).call_off(contract["id"], CallOffBody(city_id="bruchsal", quantity=40))
    call_off = called.transaction.reference
    orders = ContractsApi(client("vendor.rheintal")).list_call_offs(contract["id"]).data
    assert [(o.reference, o.leitweg_id, o.quantity) for o in orders] == [(call_off, BRUCHSAL_LW, 40)]

    vendor = InvoicesApi(client("vendor.rheintal"))
    number = f"RIT-{uuid.uuid4().hex[:8]}"
    notebooks = [Line("LAPTOP-14", "Notebook 14 Zoll", 40, PRICE)]
    cii = cii_invoice(number=number, leitweg_id=BRUCHSAL_LW, vat_id=RHEINTAL_VAT, lines=notebooks,
                      contract=contract["reference"], order=call_off)  # fmt: skip
    matched = vendor.upload_invoice(("rechnung.pdf", zugferd_pdf(cii)))
    assert (matched.status, matched.format, matched.syntax, matched.city_id) == ("matched", "pdf", "CII", "bruchsal")

    finance = InvoicesApi(client("bruchsal.finance"))
    approved = finance.approve_invoice(matched.id, idempotency_key=str(uuid.uuid4()))
    assert approved.status == "approved" and approved.transaction_id
    today = dt.datetime.now(dt.UTC).date()
    statement = ReportsApi(client("bruchsal.finance")).statement(city="bruchsal", var_from=today - dt.timedelta(days=1))
    assert any(line.transaction_id == approved.transaction_id and line.amount_cents == matched.tax_cents
               for line in statement.lines)  # fmt: skip

    def ubl(invoice_number: str, **terms: object) -> tuple[str, bytes]:
        values: dict[str, object] = {"leitweg_id": BRUCHSAL_LW, "vat_id": RHEINTAL_VAT, "lines": notebooks,
                                     "contract": contract["reference"]}  # fmt: skip
        return "rechnung.xml", ubl_invoice(number=invoice_number, **(values | terms))  # type: ignore[arg-type]

    ContractsApi(client("bruchsal.it")).call_off(contract["id"], CallOffBody(city_id="bruchsal", quantity=1))
    one = [Line("LAPTOP-14", "Notebook", 1, PRICE)]
    dearer = vendor.upload_invoice(ubl(f"{number}-2", lines=[Line("LAPTOP-14", "Notebook", 1, PRICE + 2_000)]))
    assert dearer.status == "mismatched"
    assert [(m.term, m.expected, m.invoiced, m.difference_cents) for m in dearer.mismatches] == [
        ("unit_price", "899.00", "919.00", 2_000)]  # fmt: skip
    again = vendor.upload_invoice(ubl(number))
    assert (again.status, again.duplicate_of) == ("duplicate", matched.id)
    buehl = vendor.upload_invoice(ubl(f"{number}-3", leitweg_id=BUEHL_LW, contract="", order=call_off, lines=one))
    assert (buehl.status, [m.term for m in buehl.mismatches]) == ("mismatched", ["buyer_reference"])

    rastatt = InvoicesApi(client("rastatt.finance"))
    assert not {matched.id, dearer.id} & {i.id for i in rastatt.list_invoices(limit=500).data}
    with pytest.raises(ApiException) as hidden:
        rastatt.get_invoice(matched.id)
    assert hidden.value.status == 404

    received = finance.upload_invoice(ubl(f"{number}-4", lines=one))
    assert received.status == "matched"
    with pytest.raises(ApiException) as four_eyes:
        finance.approve_invoice(received.id)
    assert four_eyes.value.status == 403
