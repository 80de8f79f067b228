"""What an invoice says, read from its XML (UBL 2.1 Invoice or CreditNote, UN/CEFACT CII D16B) by the business
terms of EN 16931 (BT-1, BT-10, …): the facts that matching compares with contracts and call-offs.

Only a document the validator has read safely is given here (validation.py refuses DOCTYPEs and entities first).
Amounts and quantities stay decimals as written: whether they are whole cents and whole units is for the reader
to judge and to say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

# Credit note type codes of EN 16931 (UNTDID 1001 subset, BT-3).
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})
_NS = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class InvoiceLine:
    line_id: str  # BT-126
    quantity: Decimal | None  # BT-129 (None: missing or not a number)
    unit_code: str  # BT-130
    net_price: Decimal | None  # BT-146, for `price_base_quantity` units
    price_base_quantity: Decimal  # BT-149 (1 when not stated)
    net_amount: Decimal | None  # BT-131
    seller_item_id: str  # BT-155: civicpool's SKU
    standard_item_id: str  # BT-157
    name: str  # BT-153
    vat_category: str  # BT-151
    vat_rate: Decimal | None  # BT-152 (percent)

    @property
    def unit_price(self) -> Decimal | None:
        """The net price of one unit (BT-146 / BT-149)."""
        if self.net_price is None or not self.price_base_quantity:
            return None
        return self.net_price / self.price_base_quantity


@dataclass(frozen=True)
class InvoiceData:
    syntax: str  # UBL | CII
    credit_note: bool  # a UBL CreditNote, or a credit note type code (BT-3)
    number: str  # BT-1
    issue_date: dt.date | None  # BT-2
    type_code: str  # BT-3
    currency: str  # BT-5
    buyer_reference: str  # BT-10: the Leitweg-ID
    contract_reference: str  # BT-12
    order_reference: str  # BT-13: civicpool's call-off number
    seller_name: str  # BT-27
    seller_vat_id: str  # BT-31
    line_total: Decimal | None  # BT-106
    tax_exclusive: Decimal | None  # BT-109
    tax_total: Decimal | None  # BT-110
    tax_inclusive: Decimal | None  # BT-112
    payable: Decimal | None  # BT-115
    lines: tuple[InvoiceLine, ...]


def extract(data: bytes) -> InvoiceData:
    """The business terms of a UBL or CII invoice (missing terms are "" or None)."""
    root = etree.fromstring(data, _PARSER)
    if root.tag == f"{{{_NS['rsm']}}}CrossIndustryInvoice":
        return _cii(root)
    return _ubl(root, credit_note_root=root.tag == f"{{{_NS['cn']}}}CreditNote")


def _text(node: Any, path: str) -> str:
    found = node.xpath(path, namespaces=_NS)
    return " ".join(str(found[0].text or "").split()) if found else ""


def _decimal(node: Any, path: str) -> Decimal | None:
    try:
        return Decimal(_text(node, path)) if _text(node, path) else None
    except InvalidOperation:
        return None


def _date(text: str, cii: bool) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d" if cii else "%Y-%m-%d").date()
    except ValueError:
        return None


def _ubl(root: Any, credit_note_root: bool) -> InvoiceData:
    line_tag, quantity_tag = ("cac:CreditNoteLine", "cbc:CreditedQuantity") if credit_note_root else (
        "cac:InvoiceLine", "cbc:InvoicedQuantity")  # fmt: skip
    type_code = _text(root, "cbc:CreditNoteTypeCode" if credit_note_root else "cbc:InvoiceTypeCode")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    lines = tuple(
        InvoiceLine(
            line_id=_text(line, "cbc:ID"),
            quantity=_decimal(line, quantity_tag),
            unit_code=str((line.xpath(f"{quantity_tag}/@unitCode", namespaces=_NS) or [""])[0]),
            net_price=_decimal(line, "cac:Price/cbc:PriceAmount"),
            price_base_quantity=_decimal(line, "cac:Price/cbc:BaseQuantity") or Decimal(1),
            net_amount=_decimal(line, "cbc:LineExtensionAmount"),
            seller_item_id=_text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
            standard_item_id=_text(line, "cac:Item/cac:StandardItemIdentification/cbc:ID"),
            name=_text(line, "cac:Item/cbc:Name"),
            vat_category=_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
            vat_rate=_decimal(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        )
        for line in root.xpath(line_tag, namespaces=_NS)
    )
    totals = "cac:LegalMonetaryTotal/cbc:"
    seller = "cac:AccountingSupplierParty/cac:Party/"
    return InvoiceData(
        syntax="UBL",
        credit_note=credit_note_root or type_code in CREDIT_NOTE_CODES,
        number=_text(root, "cbc:ID"),
        issue_date=_date(_text(root, "cbc:IssueDate"), cii=False),
        type_code=type_code,
        currency=currency,
        buyer_reference=_text(root, "cbc:BuyerReference"),
        contract_reference=_text(root, "cac:ContractDocumentReference/cbc:ID"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        seller_name=_text(root, f"{seller}cac:PartyLegalEntity/cbc:RegistrationName"),
        seller_vat_id=_text(root, f"{seller}cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        line_total=_decimal(root, f"{totals}LineExtensionAmount"),
        tax_exclusive=_decimal(root, f"{totals}TaxExclusiveAmount"),
        tax_total=_decimal(root, f"cac:TaxTotal/cbc:TaxAmount[@currencyID='{currency}']"),
        tax_inclusive=_decimal(root, f"{totals}TaxInclusiveAmount"),
        payable=_decimal(root, f"{totals}PayableAmount"),
        lines=lines,
    )


def _cii(root: Any) -> InvoiceData:
    trade = "rsm:SupplyChainTradeTransaction/"
    agreement = f"{trade}ram:ApplicableHeaderTradeAgreement/"
    seller = f"{agreement}ram:SellerTradeParty/"
    settlement = f"{trade}ram:ApplicableHeaderTradeSettlement/"
    totals = f"{settlement}ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    currency = _text(root, f"{settlement}ram:InvoiceCurrencyCode")
    type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode")
    line_tax = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
    lines = tuple(
        InvoiceLine(
            line_id=_text(line, "ram:AssociatedDocumentLineDocument/ram:LineID"),
            quantity=_decimal(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"),
            unit_code=str(
                (line.xpath("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode", namespaces=_NS) or [""])[0]
            ),
            net_price=_decimal(line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
            price_base_quantity=_decimal(
                line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity"
            ) or Decimal(1),
            net_amount=_decimal(
                line, "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                "ram:LineTotalAmount",
            ),
            seller_item_id=_text(line, "ram:SpecifiedTradeProduct/ram:SellerAssignedID"),
            standard_item_id=_text(line, "ram:SpecifiedTradeProduct/ram:GlobalID"),
            name=_text(line, "ram:SpecifiedTradeProduct/ram:Name"),
            vat_category=_text(line, f"{line_tax}ram:CategoryCode"),
            vat_rate=_decimal(line, f"{line_tax}ram:RateApplicablePercent"),
        )
        for line in root.xpath(f"{trade}ram:IncludedSupplyChainTradeLineItem", namespaces=_NS)
    )  # fmt: skip
    return InvoiceData(
        syntax="CII",
        credit_note=type_code in CREDIT_NOTE_CODES,
        number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        issue_date=_date(_text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"), cii=True),
        type_code=type_code,
        currency=currency,
        buyer_reference=_text(root, f"{agreement}ram:BuyerReference"),
        contract_reference=_text(root, f"{agreement}ram:ContractReferencedDocument/ram:IssuerAssignedID"),
        order_reference=_text(root, f"{agreement}ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        seller_name=_text(root, f"{seller}ram:Name"),
        seller_vat_id=_text(root, f"{seller}ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        line_total=_decimal(root, f"{totals}LineTotalAmount"),
        tax_exclusive=_decimal(root, f"{totals}TaxBasisTotalAmount"),
        tax_total=_decimal(root, f"{totals}TaxTotalAmount[@currencyID='{currency}']"),
        tax_inclusive=_decimal(root, f"{totals}GrandTotalAmount"),
        payable=_decimal(root, f"{totals}DuePayableAmount"),
        lines=lines,
    )  # fmt: skip
