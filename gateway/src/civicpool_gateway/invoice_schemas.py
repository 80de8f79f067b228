"""REST bodies of the e-invoice endpoints (E-Rechnung): an invoice as uploaded, checked and matched, and the city's
finance's decision. Money in euro cents; what the invoice says keeps its EN 16931 business term (BT-…)."""

from __future__ import annotations

import datetime as dt

from civicpool_common.vocabulary import ChargeVat, InvoiceStatus
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.schemas import ListParams, Request


class InvoiceFinding(BaseModel):
    """A violation of the official rules, as KoSIT's and CEN's rules word it."""

    rule_id: str = Field(description="e.g. BR-DE-15, BR-CO-16; XSD for the XML schema", examples=["BR-DE-15"])
    severity: str = Field(description="fatal | error | warning | information (fatal and error refuse)")
    location: str = Field(description="An XPath into the invoice, or the line for the XML schema")
    text: str
    rules: str = Field(description="XML Schema | EN 16931 | XRechnung")


class InvoiceMismatch(BaseModel):
    """A difference between the invoice and the contract or the city's call-offs."""

    line_id: str = Field(description='BT-126; "" for the invoice as a whole')
    term: str = Field(
        description="currency, buyer_reference, seller, contract, issue_date, lines, item, vat_rate, unit_price, "
        "quantity, net_amount, net_total, tax_total, gross_total"
    )
    expected: str = Field(description="What civicpool expected (amounts in euros with a point: 899.00)")
    invoiced: str
    difference_cents: int = Field(description="What the invoice asks more; negative: less; 0 where no amount differs")
    message: str = Field(description="In the language of the request")


class InvoiceLine(BaseModel):
    line_id: str = Field(description="BT-126")
    seller_item_id: str = Field(description="BT-155: the contract's SKU")
    name: str
    quantity: int
    unit_price_cents: int = Field(description="Net, for one unit")
    net_cents: int
    vat_rate_bps: int = Field(description="Basis points: 1900 = 19 %")


class Invoice(BaseModel):
    """An uploaded e-invoice and what became of it."""

    id: str
    status: InvoiceStatus
    sha256: str = Field(description="Of the file as uploaded")
    file_name: str
    size_bytes: int
    format: str = Field(description='xml | pdf ("" when refused before it was known)')
    syntax: str = Field(description="UBL | CII")
    scenario: str = Field(description="KoSIT's scenario that applied")
    number: str = Field(description="BT-1")
    credit_note: bool
    issue_date: dt.date | None = Field(description="BT-2")
    buyer_reference: str = Field(description="BT-10: the Leitweg-ID as the invoice states it")
    city_id: str = Field(description='The city it is for ("" when it names none)')
    vendor_id: str
    contract_id: str
    contract_reference: str = Field(description="BT-12")
    order_reference: str = Field(description="BT-13: the call-off's number")
    currency: str
    net_cents: int = Field(description="BT-109")
    tax_cents: int = Field(description="BT-110")
    gross_cents: int = Field(description="BT-112")
    lines: list[InvoiceLine]
    findings: list[InvoiceFinding]
    mismatches: list[InvoiceMismatch]
    problem: str = Field(description="Why it was refused, or why no rules applied")
    duplicate_of: str = Field(description="The earlier invoice with this number")
    uploaded_by: str
    uploaded_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    rejection_reason: str
    transaction_id: str = Field(description="The approval's posting on the ledger")
    replayed: bool = Field(description="Answered from an earlier request with the same Idempotency-Key")


class InvoiceCheck(BaseModel):
    """What the official rules say of a file, nothing kept."""

    accepted: bool = Field(description="The official rules accept it (and civicpool's Leitweg-ID rule)")
    sha256: str
    format: str = Field(description='xml | pdf ("" when it could not be read)')
    syntax: str = Field(description="UBL | CII")
    scenario: str = Field(description="KoSIT's scenario that applied")
    number: str = Field(description="BT-1")
    findings: list[InvoiceFinding]
    problem: str = Field(description="Why it is no invoice one may read, or why no rules applied")


class InvoiceListParams(ListParams):
    city_id: str | None = Field(None, max_length=40)
    vendor_id: str | None = Field(None, max_length=40)
    contract_id: str | None = Field(None, max_length=64)
    status: InvoiceStatus | None = None


class RejectionBody(Request):
    reason: str = Field(min_length=10, max_length=2000, description="What the vendor must correct",
                        examples=["Der Einzelpreis weicht vom Vertrag ETT-2026-003 ab (899,00 €)."])  # fmt: skip


# -- reports ------------------------------------------------------------------------------------------------


class InvoiceStatusRow(BaseModel):
    city_id: str
    status: InvoiceStatus
    invoices: int
    net_cents: int = Field(description="Credit notes count negative")
    tax_cents: int
    gross_cents: int


class InvoiceReport(BaseModel):
    """Invoices uploaded in a period, per city and status."""

    city_id: str = Field(description='The city asked for; "" for every city you may see')
    from_: dt.date = Field(alias="from")
    to: dt.date
    rows: list[InvoiceStatusRow]


class AccrualRow(BaseModel):
    contract_id: str
    contract_reference: str
    sku: str
    vendor_id: str
    city_id: str
    called_off_quantity: int = Field(description="From the vendor, net of reversals")
    called_off_cents: int = Field(description="Net, at each call-off's price")
    invoiced_quantity: int = Field(description="By matched and approved invoices, less credit notes")
    invoiced_cents: int
    open_quantity: int = Field(description="Called off, not yet invoiced")
    open_cents: int = Field(description="The accrual: called off, not yet invoiced, net")


class AccrualReport(BaseModel):
    """Called off against invoiced per contract and city, at the end of a day (the accruals at year end)."""

    city_id: str
    at: dt.date
    rows: list[AccrualRow]


class InvoiceLineRow(BaseModel):
    """One line of an approved invoice, as a city's accounting imports it."""

    approved_at: dt.datetime
    invoice_id: str
    number: str
    issue_date: dt.date | None
    credit_note: bool
    city_id: str
    leitweg_id: str
    vendor_id: str
    seller_name: str
    contract_id: str
    contract_reference: str
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    net_cents: int = Field(description="Credit notes negative")
    vat_rate_bps: int
    vat_cents: int = Field(description="The invoice's VAT of this rate, shared among its lines to the cent")
    gross_cents: int


class InvoiceLinesExport(BaseModel):
    """The lines of the invoices approved in a period."""

    city_id: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    rows: list[InvoiceLineRow]


# -- VAT on charges between member cities -------------------------------------------------------------------


class ChargeVatBody(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"treatment": "law_on_invoice_date"}]})

    treatment: ChargeVat = Field(
        description="law_on_invoice_date (the default: § 2 (3) UStG in its old version until the end of 2026, then "
        "§ 2b UStG), not_taxable_2b_3 (the network declares a cooperation of § 2b (3) Nr. 2 UStG), taxable"
    )


class ChargeVatSetting(BaseModel):
    """How the network's cities charge each other VAT on shared costs, and what it means for a charge today."""

    treatment: ChargeVat
    set_by: str = Field(description='"" while none was set: the default')
    set_at: dt.datetime | None
    outside_scope_today: bool = Field(description="A charge issued today is not subject to VAT (category O)")
    vat_rate_bps_today: int = Field(description="Or taxable at this rate (basis points)")
    legal_note_today: str = Field(description="The note a charge issued today carries, in German")
    replayed: bool


# -- charges to member cities -------------------------------------------------------------------------------


class ChargeIssueBody(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"payment_days": 30}]})

    payment_days: int = Field(30, ge=7, le=90, description="Due this many days after the day of issue")


class ChargeInvoice(BaseModel):
    """An XRechnung (UBL) the lead city issued a member city for its part of a shared cost."""

    id: str
    number: str = Field(description="BT-1: the lead city's own sequence of charges per year")
    transaction_id: str = Field(description="The shared cost charged on")
    contract_id: str
    seller_city_id: str = Field(description="The lead city")
    buyer_city_id: str
    leitweg_id: str = Field(description="BT-10: the member city's default billing unit")
    issue_date: dt.date
    due_date: dt.date
    net_cents: int = Field(description="The city's part of the shared cost")
    vat_cents: int
    gross_cents: int
    vat_category: str = Field(description="O (not subject to VAT) | S (standard rate)")
    vat_rate_bps: int = Field(description="Basis points: 1900 = 19 %")
    legal_note: str = Field(description="BT-22, in German: why it bears VAT or none")
    sha256: str = Field(description="Of the XRechnung as issued")
    vat_transaction_id: str = Field(description='The posting of its VAT ("" when it bears none)')
    issued_by: str
    issued_at: dt.datetime


class ChargeInvoices(BaseModel):
    """The charges of one shared cost."""

    data: list[ChargeInvoice]
    existing: bool = Field(description="Issued before: the same charges again, nothing new")


class ChargeInvoiceListParams(ListParams):
    transaction_id: str | None = Field(None, max_length=64, description="The shared cost's posting")
    city_id: str | None = Field(None, max_length=40, description="The issuing or the charged city")
