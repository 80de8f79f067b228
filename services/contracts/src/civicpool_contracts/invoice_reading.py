"""An uploaded file read as an invoice and checked by the official rules, before anything is stored: refused (no
invoice one may read), invalid (the rules, or no rules apply), or accepted with what it says (extraction.py).
Besides KoSIT's rules, civicpool checks one thing of its own: BT-10's Leitweg-ID check digits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from civicpool_common import leitweg
from civicpool_common.messages import N_, Text
from civicpool_common.vocabulary import InvoiceStatus
from civicpool_einvoice import intake
from civicpool_einvoice.extraction import InvoiceData, extract
from civicpool_einvoice.validation import REJECTING, Finding, Refused, Report, Validator

LEITWEG_RULE = "CIVICPOOL-LEITWEG-ID"  # civicpool's own check of BT-10, beside the official rules
BUYER_REFERENCE = {
    "UBL": "/ubl:Invoice/cbc:BuyerReference",
    "CII": "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    "ram:BuyerReference",
}

# fmt: off
# Why an upload was refused or no rules applied (the stored problem's kind), in the reader's language.
PROBLEMS = {
    "too_large": N_("the file has {size} bytes, more than the {limit} an invoice may have"),
    "unsafe": N_("the XML declares a DOCTYPE, an entity or an external reference: no invoice needs one, so it is refused"),  # noqa: E501
    "not_xml": N_("the file is neither a PDF nor well-formed XML ({detail})"),
    "not_an_invoice": N_("the XML is no invoice: {detail}"),
    "not_pdf": N_("the PDF cannot be read ({detail})"),
    "no_embedded_invoice": N_("the PDF has no embedded invoice (factur-x.xml, zugferd-invoice.xml or xrechnung.xml): a picture of an invoice is no e-invoice; send XRechnung, or ZUGFeRD in the profile EN 16931 or XRECHNUNG"),  # noqa: E501
    "profile": N_("the ZUGFeRD/Factur-X profile {profile} is not enough for a public buyer: send the profile EN 16931 (COMFORT) or XRECHNUNG"),  # noqa: E501
    "no_scenario": N_("no official rules apply to the specification identifier (BT-24) '{specification}': send XRechnung 3.0 or EN 16931"),  # noqa: E501
    "rules": N_("the invoice breaks {count} of the official rules (see the findings)"),
}
# fmt: on


@dataclass(frozen=True)
class Reading:
    """What the file is, as far as it could be read (outside any transaction: the rules take milliseconds)."""

    format: str
    problem: dict[str, object]
    report: Report | None = None
    data: InvoiceData | None = None

    @property
    def status(self) -> InvoiceStatus | None:
        """refused or invalid; None when the rules accept it (it is matched next)."""
        if self.report is None:
            return InvoiceStatus.REFUSED
        return None if self.report.accepted else InvoiceStatus.INVALID


_validator: Validator | None = None
_validator_made = threading.Lock()


def shared_validator() -> Validator:
    """One validator per process: loading the rules takes about half a second."""
    global _validator
    with _validator_made:
        if _validator is None:
            _validator = Validator()
        return _validator


def read(content: bytes) -> Reading:
    """The upload read and checked by the official rules."""
    try:
        upload = intake.invoice_xml(content)
    except Refused as refused:
        return Reading("", _refusal(refused, len(content)))
    try:
        report = shared_validator().validate(upload.xml)
    except Refused as refused:
        return Reading(upload.format, _refusal(refused, len(upload.xml)))
    if not report.scenario:
        profile = intake.profile_below_en16931(report.specification)
        problem: dict[str, object] = (
            {"kind": "profile", "profile": profile} if profile
            else {"kind": "no_scenario", "specification": report.specification}
        )  # fmt: skip
        return Reading(upload.format, problem, report)
    data = extract(upload.xml)
    report = replace(report, findings=report.findings + _leitweg_findings(data))
    if not report.accepted:
        rejecting = [f for f in report.findings if f.severity in REJECTING]
        return Reading(upload.format, {"kind": "rules", "count": len(rejecting)}, report, data)
    return Reading(upload.format, {}, report, data)


def _leitweg_findings(data: InvoiceData) -> tuple[Finding, ...]:
    """BT-10 must be a Leitweg-ID with the right check digits (KoSIT's rules check only that there is one): an
    invoice to a wrong one reaches no buyer, so it is refused like a broken rule, by civicpool's own."""
    if not data.buyer_reference:
        return ()  # BR-DE-15 says so already
    try:
        leitweg.parse(data.buyer_reference)
    except leitweg.InvalidLeitwegId as invalid:
        return (Finding(LEITWEG_RULE, "error", BUYER_REFERENCE[data.syntax], invalid.reason.render("en"), "civicpool"),)
    return ()


def _refusal(refused: Refused, size: int) -> dict[str, object]:
    if refused.kind == "too_large":
        return {"kind": "too_large", "size": size, "limit": intake.MAX_UPLOAD_BYTES}
    return {"kind": refused.kind, "detail": refused.reason}


def problem_text(problem: dict[str, object]) -> Text | None:
    """Why an upload was refused or no rules applied, in the reader's language (None: it was not)."""
    values = dict(problem or {})
    kind = str(values.pop("kind", ""))
    return Text(PROBLEMS[kind], **values) if kind in PROBLEMS else None
