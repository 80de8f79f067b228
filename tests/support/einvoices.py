"""E-invoices as a vendor's software makes them, independently of civicpool's code: XRechnung 3.0 in UBL from a
template (the shape of KoSIT's test suite instance 01.01a), with totals computed here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

from pypdf import PdfWriter

XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices"
CII = (FIXTURES / "01.01a-INVOICE_uncefact.xml").read_bytes()  # KoSIT's test suite instance 01.01a, in CII


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int


def amount(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def vat(net_cents: int, rate_bps: int) -> int:
    return int((Decimal(net_cents) * rate_bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_UBL = Template("""<?xml version="1.0" encoding="UTF-8"?>
<ubl:$root xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:$root-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>$specification</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>$number</cbc:ID>
  <cbc:IssueDate>$issue_date</cbc:IssueDate>
  $due_date<cbc:${root}TypeCode>$type_code</cbc:${root}TypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>$leitweg_id</cbc:BuyerReference>
  $order$billing$contract<cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">rechnung@vendor.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Industriestraße 1</cbc:StreetName>
        <cbc:CityName>Karlsruhe</cbc:CityName>
        <cbc:PostalZone>76131</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>$vat_id</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity><cbc:RegistrationName>$seller</cbc:RegistrationName></cac:PartyLegalEntity>
      <cac:Contact>
        <cbc:Name>Vertrieb</cbc:Name>
        <cbc:Telephone>+49 721 1234-0</cbc:Telephone>
        <cbc:ElectronicMail>vertrieb@vendor.example</cbc:ElectronicMail>
      </cac:Contact>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">rechnung@stadt.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Rathausplatz 1</cbc:StreetName>
        <cbc:CityName>$buyer</cbc:CityName>
        <cbc:PostalZone>76646</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity><cbc:RegistrationName>Stadt $buyer</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE75512108001245126199</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>Zahlbar innerhalb von 30 Tagen ohne Abzug.</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">$tax</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">$net</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">$tax</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>$rate</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">$net</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">$net</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">$gross</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">$gross</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
$lines</ubl:$root>
""")
_LINE = Template("""  <cac:${root}Line>
    <cbc:ID>$position</cbc:ID>
    <cbc:${quantity_tag} unitCode="H87">$quantity</cbc:${quantity_tag}>
    <cbc:LineExtensionAmount currencyID="EUR">$net</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>$name</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>$sku</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>$rate</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">$price</cbc:PriceAmount></cac:Price>
  </cac:${root}Line>
""")


def ubl_invoice(
    *, number: str, leitweg_id: str, vat_id: str, lines: Sequence[Line], contract: str = "", order: str = "",
    issue_date: dt.date | None = None, vat_rate_bps: int = 1900, credit_note_of: str = "",
    seller: str = "Rheintal IT-Systemhaus GmbH", buyer: str = "Bruchsal", specification: str = XRECHNUNG_3,
) -> bytes:  # fmt: skip
    """An XRechnung 3.0 invoice (a CreditNote when `credit_note_of` names the invoice it credits), one VAT rate."""
    credit = bool(credit_note_of)
    root = "CreditNote" if credit else "Invoice"
    issued = issue_date or dt.date.today()
    rate = amount(vat_rate_bps)
    net = sum(line.quantity * line.unit_price_cents for line in lines)
    tax = vat(net, vat_rate_bps)
    rendered = "".join(
        _LINE.substitute(root=root, quantity_tag="CreditedQuantity" if credit else "InvoicedQuantity",
                         position=index, quantity=line.quantity, net=amount(line.quantity * line.unit_price_cents),
                         name=escape(line.name), sku=escape(line.sku), rate=rate, price=amount(line.unit_price_cents))
        for index, line in enumerate(lines, start=1)
    )  # fmt: skip
    billing = (f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{escape(credit_note_of)}</cbc:ID>"
               "</cac:InvoiceDocumentReference></cac:BillingReference>\n  ") if credit else ""  # fmt: skip
    return _UBL.substitute(
        root=root, specification=specification, number=escape(number), issue_date=issued.isoformat(),
        due_date="" if credit else f"<cbc:DueDate>{(issued + dt.timedelta(days=30)).isoformat()}</cbc:DueDate>\n  ",
        type_code="381" if credit else "380", leitweg_id=escape(leitweg_id),
        order=f"<cac:OrderReference><cbc:ID>{escape(order)}</cbc:ID></cac:OrderReference>\n  " if order else "",
        billing=billing,
        contract=(f"<cac:ContractDocumentReference><cbc:ID>{escape(contract)}</cbc:ID></cac:ContractDocumentReference>"
                  "\n  ") if contract else "",
        vat_id=escape(vat_id), seller=escape(seller), buyer=escape(buyer), tax=amount(tax), net=amount(net),
        rate=rate, gross=amount(net + tax), lines=rendered,
    ).encode()  # fmt: skip


def cii_invoice(
    *, number: str, leitweg_id: str, vat_id: str, lines: Sequence[Line], contract: str = "", order: str = "",
    issue_date: dt.date | None = None, vat_rate_bps: int = 1900, seller: str = "Rheintal IT-Systemhaus GmbH",
    buyer: str = "Bruchsal",
) -> bytes:  # fmt: skip
    """An XRechnung 3.0 invoice in UN/CEFACT CII, made with drafthorse (one VAT rate)."""
    from drafthorse.models.accounting import ApplicableTradeTax
    from drafthorse.models.document import Document
    from drafthorse.models.party import TaxRegistration
    from drafthorse.models.payment import PaymentMeans, PaymentTerms
    from drafthorse.models.tradelines import LineItem

    issued = issue_date or dt.date.today()
    rate = Decimal(vat_rate_bps) / 100
    net = sum(line.quantity * line.unit_price_cents for line in lines)
    tax = vat(net, vat_rate_bps)
    document = Document()
    document.context.guideline_parameter.id = XRECHNUNG_3
    document.context.business_parameter.id = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    document.header.id, document.header.type_code, document.header.issue_date_time = number, "380", issued
    agreement = document.trade.agreement
    agreement.buyer_reference = leitweg_id
    for party, name, street, town, code, mail in (
        (agreement.seller, seller, "Rheinstraße 12", "Karlsruhe", "76185", "rechnung@vendor.example"),
        (agreement.buyer, f"Stadt {buyer}", "Rathausplatz 1", buyer, "76646", "rechnung@stadt.example"),
    ):
        party.name = name
        party.address.line_one, party.address.city_name, party.address.postcode = street, town, code
        party.address.country_id = "DE"
        party.electronic_address.uri_ID = ("EM", mail)
    agreement.seller.contact.person_name = "Vertrieb"
    agreement.seller.contact.telephone.number = "+49 721 1234-0"
    agreement.seller.contact.email.address = "vertrieb@vendor.example"
    agreement.seller.tax_registrations.add(TaxRegistration(id=("VA", vat_id)))
    if contract:
        agreement.contract.issuer_assigned_id = contract
    if order:
        agreement.buyer_order.issuer_assigned_id = order
    settlement = document.trade.settlement
    settlement.currency_code = "EUR"
    means = PaymentMeans()
    means.type_code = "58"
    means.payee_account.iban = "DE75512108001245126199"
    settlement.payment_means.add(means)
    settlement.terms.add(PaymentTerms(description="Zahlbar innerhalb von 30 Tagen ohne Abzug."))
    for position, line in enumerate(lines, start=1):
        item = LineItem()
        item.document.line_id = str(position)
        item.product.seller_assigned_id, item.product.name = line.sku, line.name
        item.agreement.net.amount = Decimal(line.unit_price_cents) / 100
        item.delivery.billed_quantity = (Decimal(line.quantity), "H87")
        item.settlement.trade_tax.type_code, item.settlement.trade_tax.category_code = "VAT", "S"
        item.settlement.trade_tax.rate_applicable_percent = rate
        item.settlement.monetary_summation.total_amount = Decimal(line.quantity * line.unit_price_cents) / 100
        document.trade.items.add(item)
    breakdown = ApplicableTradeTax()
    breakdown.calculated_amount, breakdown.basis_amount = Decimal(tax) / 100, Decimal(net) / 100
    breakdown.type_code, breakdown.category_code, breakdown.rate_applicable_percent = "VAT", "S", rate
    settlement.trade_tax.add(breakdown)
    totals = settlement.monetary_summation
    totals.line_total = totals.tax_basis_total = Decimal(net) / 100
    totals.charge_total = totals.allowance_total = Decimal(0)
    totals.tax_total = (Decimal(tax) / 100, "EUR")
    totals.grand_total = totals.due_amount = Decimal(net + tax) / 100
    written: bytes = document.serialize(schema="FACTUR-X_EN16931")
    return written


def pdf_with(attachments: Mapping[str, bytes]) -> bytes:
    """A one-page PDF (pypdf) with these files attached: a ZUGFeRD look-alike, or a PDF without an invoice."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for name, content in attachments.items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zugferd_pdf(cii: bytes) -> bytes:
    """A ZUGFeRD/Factur-X PDF/A-3 carrying the CII, made with factur-x from a one-page PDF."""
    import facturx

    made: bytes = facturx.generate_from_binary(pdf_with({}), cii, check_xsd=False)
    return made
