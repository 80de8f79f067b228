"""XRechnung 3.0 invoices in UBL 2.1, written by civicpool itself (the demo's vendor invoices, and the lead city's
charges to member cities): only what EN 16931 and the XRechnung CIUS require and what a buyer's workflow reads.

Amounts are integer cents here and written as euros with two decimals; VAT is computed per rate, rounded half up
(as matching recomputes it). A rate of 0 is the exempt category (E) with its reason (BT-120), the others the
standard one (S). What this writes is checked by the official rules in the tests, not trusted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from civicpool_einvoice.amounts import euros, vat_cents
from civicpool_einvoice.scenarios import XRECHNUNG

PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL = ElementMaker(namespace=_UBL, nsmap={"ubl": _UBL, "cac": _CAC, "cbc": _CBC})
CAC = ElementMaker(namespace=_CAC)
CBC = ElementMaker(namespace=_CBC)


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    city: str
    postal_code: str
    email: str  # the electronic address (BT-34 / BT-49) and, for a seller, its contact's
    vat_id: str = ""
    country: str = "DE"
    identifier: str = ""  # BT-29 / BT-46: e.g. a public body's Leitweg-ID or municipality key
    tax_number: str = ""  # BT-32: the seller's tax number (Steuernummer), where it has no VAT id
    contact_name: str = ""  # a seller's contact (BR-DE-5 to 7)
    phone: str = ""


@dataclass(frozen=True)
class Line:
    item_id: str  # the seller's item id (BT-155): civicpool's SKU
    name: str
    quantity: int
    unit_price_cents: int  # net
    vat_rate_bps: int  # 1900 = 19 %; 0 = exempt
    unit_code: str = "H87"  # piece (UN/ECE Rec 20)

    @property
    def net_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Draft:
    number: str  # BT-1
    issue_date: dt.date
    buyer_reference: str  # BT-10: the buyer's Leitweg-ID
    seller: Party
    buyer: Party
    lines: Sequence[Line]
    iban: str  # where to pay (BT-84)
    payment_terms: str  # BT-20
    due_date: dt.date | None = None
    contract_reference: str = ""  # BT-12
    order_reference: str = ""  # BT-13
    note: str = ""  # BT-22
    exemption_reason: str = ""  # BT-120, for lines at 0 % or outside the scope of VAT
    outside_scope: bool = False  # every line "not subject to VAT" (category O, EN 16931 BR-O): no rate, no VAT id


def _amount(tag: str, cents: int) -> etree._Element:
    element: etree._Element = getattr(CBC, tag)(euros(cents), currencyID="EUR")
    return element


def _rate(rate_bps: int) -> str:
    return str((Decimal(rate_bps) / 100).quantize(Decimal("0.01")))


def _category(rate_bps: int, draft: Draft, *, breakdown: bool) -> list[etree._Element]:
    """A line's tax category (BT-151, BT-152), or the VAT breakdown's (BT-118 to BT-120)."""
    reason = [CBC.TaxExemptionReason(draft.exemption_reason)] if breakdown else []
    if draft.outside_scope:  # no rate on a line (BR-O-05); the breakdown's 0 (XRechnung's BR-DE-14 wants one)
        return [CBC.ID("O"), CBC.Percent("0.00"), *reason] if breakdown else [CBC.ID("O")]
    if rate_bps:
        return [CBC.ID("S"), CBC.Percent(_rate(rate_bps))]
    return [CBC.ID("E"), CBC.Percent("0.00"), *reason]


def _party(party: Party, *, seller: bool) -> etree._Element:
    parts = [CBC.EndpointID(party.email, schemeID="EM")]
    if party.identifier:
        parts.append(CAC.PartyIdentification(CBC.ID(party.identifier)))
    parts += [
        CAC.PostalAddress(
            CBC.StreetName(party.street),
            CBC.CityName(party.city),
            CBC.PostalZone(party.postal_code),
            CAC.Country(CBC.IdentificationCode(party.country)),
        ),
    ]
    if party.vat_id:
        parts.append(CAC.PartyTaxScheme(CBC.CompanyID(party.vat_id), CAC.TaxScheme(CBC.ID("VAT"))))
    if party.tax_number and seller:
        parts.append(CAC.PartyTaxScheme(CBC.CompanyID(party.tax_number), CAC.TaxScheme(CBC.ID("FC"))))
    parts.append(CAC.PartyLegalEntity(CBC.RegistrationName(party.name)))
    if seller:
        parts.append(CAC.Contact(CBC.Name(party.contact_name or party.name), CBC.Telephone(party.phone),
                                 CBC.ElectronicMail(party.email)))  # fmt: skip
    element: etree._Element = CAC.Party(*parts)
    return element


def ubl_invoice(draft: Draft) -> bytes:
    """The draft as an XRechnung 3.0 UBL Invoice."""
    if not draft.lines:
        raise ValueError("an invoice has at least one line")
    if any(line.vat_rate_bps == 0 for line in draft.lines) and not draft.exemption_reason:
        raise ValueError("a line at 0 % needs the exemption's reason (BT-120)")
    if draft.outside_scope and (draft.seller.vat_id or draft.buyer.vat_id or any(x.vat_rate_bps for x in draft.lines)):
        raise ValueError("outside the scope of VAT: no VAT id and no rate (EN 16931 BR-O-02, BR-O-05)")
    net_by_rate: dict[int, int] = defaultdict(int)
    for line in draft.lines:
        net_by_rate[line.vat_rate_bps] += line.net_cents
    tax_by_rate = {rate: vat_cents(net, rate) for rate, net in net_by_rate.items()}
    net, tax = sum(net_by_rate.values()), sum(tax_by_rate.values())
    header = [CBC.CustomizationID(XRECHNUNG), CBC.ProfileID(PEPPOL_BILLING), CBC.ID(draft.number),
              CBC.IssueDate(draft.issue_date.isoformat())]  # fmt: skip
    if draft.due_date is not None:
        header.append(CBC.DueDate(draft.due_date.isoformat()))
    header.append(CBC.InvoiceTypeCode("380"))
    if draft.note:
        header.append(CBC.Note(draft.note))
    header += [CBC.DocumentCurrencyCode("EUR"), CBC.BuyerReference(draft.buyer_reference)]
    if draft.order_reference:
        header.append(CAC.OrderReference(CBC.ID(draft.order_reference)))
    if draft.contract_reference:
        header.append(CAC.ContractDocumentReference(CBC.ID(draft.contract_reference)))
    subtotals = [
        CAC.TaxSubtotal(_amount("TaxableAmount", amount), _amount("TaxAmount", tax_by_rate[rate]),
                        CAC.TaxCategory(*_category(rate, draft, breakdown=True), CAC.TaxScheme(CBC.ID("VAT"))))
        for rate, amount in sorted(net_by_rate.items())
    ]  # fmt: skip
    lines = [
        CAC.InvoiceLine(
            CBC.ID(str(position)), CBC.InvoicedQuantity(str(line.quantity), unitCode=line.unit_code),
            _amount("LineExtensionAmount", line.net_cents),
            CAC.Item(CBC.Name(line.name), CAC.SellersItemIdentification(CBC.ID(line.item_id)),
                     CAC.ClassifiedTaxCategory(*_category(line.vat_rate_bps, draft, breakdown=False),
                                               CAC.TaxScheme(CBC.ID("VAT")))),
            CAC.Price(_amount("PriceAmount", line.unit_price_cents)),
        )
        for position, line in enumerate(draft.lines, start=1)
    ]  # fmt: skip
    document = UBL.Invoice(
        *header,
        CAC.AccountingSupplierParty(_party(draft.seller, seller=True)),
        CAC.AccountingCustomerParty(_party(draft.buyer, seller=False)),
        CAC.PaymentMeans(CBC.PaymentMeansCode("58"), CAC.PayeeFinancialAccount(CBC.ID(draft.iban))),
        CAC.PaymentTerms(CBC.Note(draft.payment_terms)),
        CAC.TaxTotal(_amount("TaxAmount", tax), *subtotals),
        CAC.LegalMonetaryTotal(_amount("LineExtensionAmount", net), _amount("TaxExclusiveAmount", net),
                               _amount("TaxInclusiveAmount", net + tax), _amount("PayableAmount", net + tax)),
        *lines,
    )  # fmt: skip
    written: bytes = etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return written
