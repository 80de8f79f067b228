"""The contracts service's e-invoice messages and their REST models."""

from __future__ import annotations

from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool_common.vocabulary import ChargeVat, InvoiceStatus, to_proto, words_of

from civicpool_gateway.invoice_schemas import (
    AccrualReport,
    AccrualRow,
    ChargeInvoice,
    ChargeInvoiceListParams,
    ChargeInvoices,
    ChargeIssueBody,
    ChargeVatBody,
    ChargeVatSetting,
    Invoice,
    InvoiceCheck,
    InvoiceFinding,
    InvoiceLine,
    InvoiceLineRow,
    InvoiceLinesExport,
    InvoiceListParams,
    InvoiceMismatch,
    InvoiceReport,
    InvoiceStatusRow,
    RejectionBody,
)
from civicpool_gateway.schemas import Page
from civicpool_gateway.serde.fields import (
    cursor_or_none,
    day,
    day_or_none,
    day_text,
    from_timestamp,
    page_request,
    time_or_none,
    timestamp_or_none,
    to_timestamp,
    word,
)

INVOICE_STATUSES = words_of(pb.InvoiceStatus, InvoiceStatus)
CHARGE_VAT = words_of(pb.ChargeVat, ChargeVat)


def invoice_from_proto(message: pb.Invoice) -> Invoice:
    return Invoice(
        id=message.id, status=word(message.status, INVOICE_STATUSES), sha256=message.sha256,
        file_name=message.file_name, size_bytes=message.size_bytes, format=message.format, syntax=message.syntax,
        scenario=message.scenario, number=message.number, credit_note=message.credit_note,
        issue_date=day_or_none(message.issue_date), buyer_reference=message.buyer_reference, city_id=message.city_id,
        vendor_id=message.vendor_id, contract_id=message.contract_id, contract_reference=message.contract_reference,
        order_reference=message.order_reference, currency=message.currency, net_cents=message.net_cents,
        tax_cents=message.tax_cents, gross_cents=message.gross_cents,
        lines=[InvoiceLine(line_id=line.line_id, seller_item_id=line.seller_item_id, name=line.name,
                           quantity=line.quantity, unit_price_cents=line.unit_price_cents, net_cents=line.net_cents,
                           vat_rate_bps=line.vat_rate_bps) for line in message.lines],
        findings=[finding_from_proto(f) for f in message.findings],
        mismatches=[InvoiceMismatch(line_id=m.line_id, term=m.term, expected=m.expected, invoiced=m.invoiced,
                                    difference_cents=m.difference_cents, message=m.message)
                    for m in message.mismatches],
        problem=message.problem, duplicate_of=message.duplicate_of, uploaded_by=message.uploaded_by,
        uploaded_at=time_or_none(message.HasField("uploaded_at"), message.uploaded_at),
        decided_by=message.decided_by, decided_at=time_or_none(message.HasField("decided_at"), message.decided_at),
        rejection_reason=message.rejection_reason, transaction_id=message.transaction_id, replayed=message.replayed,
    )  # fmt: skip


def invoice_to_proto(invoice: Invoice) -> pb.Invoice:
    return pb.Invoice(
        id=invoice.id, status=to_proto(invoice.status, pb.InvoiceStatus, InvoiceStatus), sha256=invoice.sha256,
        file_name=invoice.file_name, size_bytes=invoice.size_bytes, format=invoice.format, syntax=invoice.syntax,
        scenario=invoice.scenario, number=invoice.number, credit_note=invoice.credit_note,
        issue_date=day_text(invoice.issue_date), buyer_reference=invoice.buyer_reference, city_id=invoice.city_id,
        vendor_id=invoice.vendor_id, contract_id=invoice.contract_id, contract_reference=invoice.contract_reference,
        order_reference=invoice.order_reference, currency=invoice.currency, net_cents=invoice.net_cents,
        tax_cents=invoice.tax_cents, gross_cents=invoice.gross_cents,
        lines=[pb.InvoiceLine(**line.model_dump()) for line in invoice.lines],
        findings=[finding_to_proto(finding) for finding in invoice.findings],
        mismatches=[pb.InvoiceMismatch(**mismatch.model_dump()) for mismatch in invoice.mismatches],
        problem=invoice.problem, duplicate_of=invoice.duplicate_of, uploaded_by=invoice.uploaded_by,
        uploaded_at=to_timestamp(invoice.uploaded_at), decided_by=invoice.decided_by,
        decided_at=timestamp_or_none(invoice.decided_at), rejection_reason=invoice.rejection_reason,
        transaction_id=invoice.transaction_id, replayed=invoice.replayed,
    )  # fmt: skip


def invoices_query_to_proto(params: InvoiceListParams) -> pb.ListInvoicesRequest:
    return pb.ListInvoicesRequest(
        page=page_request(params), city_id=params.city_id or "", vendor_id=params.vendor_id or "",
        contract_id=params.contract_id or "", status=to_proto(params.status, pb.InvoiceStatus, InvoiceStatus),
    )  # fmt: skip


def invoices_query_from_proto(request: pb.ListInvoicesRequest) -> InvoiceListParams:
    return InvoiceListParams(
        limit=request.page.limit, cursor=request.page.cursor or None, city_id=request.city_id or None,
        vendor_id=request.vendor_id or None, contract_id=request.contract_id or None,
        status=word(request.status, INVOICE_STATUSES),
    )  # fmt: skip


def invoices_page_from_proto(reply: pb.ListInvoicesResponse) -> Page[Invoice]:
    return Page[Invoice](data=[invoice_from_proto(i) for i in reply.invoices],
                         next_cursor=cursor_or_none(reply.next_cursor))  # fmt: skip


def invoices_page_to_proto(page: Page[Invoice]) -> pb.ListInvoicesResponse:
    return pb.ListInvoicesResponse(invoices=[invoice_to_proto(i) for i in page.data],
                                   next_cursor=page.next_cursor or "")  # fmt: skip


def rejection_to_proto(invoice_id: str, body: RejectionBody, idempotency_key: str | None) -> pb.DecideInvoiceRequest:
    return pb.DecideInvoiceRequest(id=invoice_id, reason=body.reason, idempotency_key=idempotency_key or "")


def rejection_from_proto(request: pb.DecideInvoiceRequest) -> RejectionBody:
    return RejectionBody(reason=request.reason)


# -- reports --------------------------------------------------------------------------------------------------


def invoice_report_from_proto(message: pb.InvoiceReport) -> InvoiceReport:
    return InvoiceReport.model_validate({
        "city_id": message.city_id, "from": day(getattr(message, "from")), "to": day(message.to),
        "rows": [InvoiceStatusRow(city_id=r.city_id, status=InvoiceStatus(r.status), invoices=r.invoices,
                                  net_cents=r.net_cents, tax_cents=r.tax_cents, gross_cents=r.gross_cents)
                 for r in message.rows],
    })  # fmt: skip


def invoice_report_to_proto(report: InvoiceReport) -> pb.InvoiceReport:
    return pb.InvoiceReport(city_id=report.city_id, to=report.to.isoformat(), **{"from": report.from_.isoformat()},
                            rows=[pb.InvoiceStatusRow(**row.model_dump()) for row in report.rows])  # fmt: skip


def accrual_report_from_proto(message: pb.AccrualReport) -> AccrualReport:
    rows = [
        AccrualRow(
            contract_id=r.contract_id, contract_reference=r.contract_reference, sku=r.sku, vendor_id=r.vendor_id,
            city_id=r.city_id, called_off_quantity=r.called_off_quantity, called_off_cents=r.called_off_cents,
            invoiced_quantity=r.invoiced_quantity, invoiced_cents=r.invoiced_cents, open_quantity=r.open_quantity,
            open_cents=r.open_cents,
        )
        for r in message.rows
    ]  # fmt: skip
    return AccrualReport(city_id=message.city_id, at=day(message.at), rows=rows)


def accrual_report_to_proto(report: AccrualReport) -> pb.AccrualReport:
    return pb.AccrualReport(city_id=report.city_id, at=report.at.isoformat(),
                            rows=[pb.AccrualRow(**row.model_dump()) for row in report.rows])  # fmt: skip


def invoice_lines_from_proto(message: pb.InvoiceLinesExport) -> InvoiceLinesExport:
    rows = [
        InvoiceLineRow(
            approved_at=time_or_none(r.HasField("approved_at"), r.approved_at), invoice_id=r.invoice_id,
            number=r.number, issue_date=day_or_none(r.issue_date), credit_note=r.credit_note, city_id=r.city_id,
            leitweg_id=r.leitweg_id, vendor_id=r.vendor_id, seller_name=r.seller_name, contract_id=r.contract_id,
            contract_reference=r.contract_reference, line_id=r.line_id, sku=r.sku, name=r.name, quantity=r.quantity,
            unit_price_cents=r.unit_price_cents, net_cents=r.net_cents, vat_rate_bps=r.vat_rate_bps,
            vat_cents=r.vat_cents, gross_cents=r.gross_cents,
        )
        for r in message.rows
    ]  # fmt: skip
    return InvoiceLinesExport.model_validate(
        {"city_id": message.city_id, "from": day(getattr(message, "from")), "to": day(message.to), "rows": rows}
    )


def invoice_lines_to_proto(export: InvoiceLinesExport) -> pb.InvoiceLinesExport:
    return pb.InvoiceLinesExport(
        city_id=export.city_id, to=export.to.isoformat(), **{"from": export.from_.isoformat()},
        rows=[pb.InvoiceLineRow(**row.model_dump(exclude={"approved_at", "issue_date"}),
                                approved_at=to_timestamp(row.approved_at), issue_date=day_text(row.issue_date))
              for row in export.rows],
    )  # fmt: skip


# -- VAT on charges between member cities ---------------------------------------------------------------------


def charge_vat_from_proto(message: pb.ChargeVatSetting) -> ChargeVatSetting:
    return ChargeVatSetting(
        treatment=word(message.treatment, CHARGE_VAT), set_by=message.set_by,
        set_at=time_or_none(message.HasField("set_at"), message.set_at),
        outside_scope_today=message.outside_scope_today, vat_rate_bps_today=message.vat_rate_bps_today,
        legal_note_today=message.legal_note_today, replayed=message.replayed,
    )  # fmt: skip


def charge_vat_to_proto(setting: ChargeVatSetting) -> pb.ChargeVatSetting:
    return pb.ChargeVatSetting(
        treatment=to_proto(setting.treatment, pb.ChargeVat, ChargeVat), set_by=setting.set_by,
        set_at=timestamp_or_none(setting.set_at), outside_scope_today=setting.outside_scope_today,
        vat_rate_bps_today=setting.vat_rate_bps_today, legal_note_today=setting.legal_note_today,
        replayed=setting.replayed,
    )  # fmt: skip


def charge_vat_body_to_proto(body: ChargeVatBody, idempotency_key: str | None) -> pb.SetChargeVatRequest:
    return pb.SetChargeVatRequest(treatment=to_proto(body.treatment, pb.ChargeVat, ChargeVat),
                                  idempotency_key=idempotency_key or "")  # fmt: skip


def charge_vat_body_from_proto(request: pb.SetChargeVatRequest) -> ChargeVatBody:
    return ChargeVatBody.model_validate({"treatment": word(request.treatment, CHARGE_VAT)})


# -- charges to member cities -------------------------------------------------------------------------------


def charge_issue_to_proto(transaction_id: str, body: ChargeIssueBody) -> pb.IssueChargeInvoicesRequest:
    return pb.IssueChargeInvoicesRequest(transaction_id=transaction_id, payment_days=body.payment_days)


def charge_issue_from_proto(request: pb.IssueChargeInvoicesRequest) -> ChargeIssueBody:
    return ChargeIssueBody(payment_days=request.payment_days)


def charge_from_proto(c: pb.ChargeInvoice) -> ChargeInvoice:
    return ChargeInvoice(
        id=c.id, number=c.number, transaction_id=c.transaction_id, contract_id=c.contract_id,
        seller_city_id=c.seller_city_id, buyer_city_id=c.buyer_city_id, leitweg_id=c.leitweg_id,
        issue_date=day(c.issue_date), due_date=day(c.due_date), net_cents=c.net_cents, vat_cents=c.vat_cents,
        gross_cents=c.gross_cents, vat_category=c.vat_category, vat_rate_bps=c.vat_rate_bps, legal_note=c.legal_note,
        sha256=c.sha256, vat_transaction_id=c.vat_transaction_id, issued_by=c.issued_by,
        issued_at=from_timestamp(c.issued_at),
    )  # fmt: skip


def charge_to_proto(c: ChargeInvoice) -> pb.ChargeInvoice:
    return pb.ChargeInvoice(
        id=c.id, number=c.number, transaction_id=c.transaction_id, contract_id=c.contract_id,
        seller_city_id=c.seller_city_id, buyer_city_id=c.buyer_city_id, leitweg_id=c.leitweg_id,
        issue_date=day_text(c.issue_date), due_date=day_text(c.due_date), net_cents=c.net_cents,
        vat_cents=c.vat_cents, gross_cents=c.gross_cents, vat_category=c.vat_category, vat_rate_bps=c.vat_rate_bps,
        legal_note=c.legal_note, sha256=c.sha256, vat_transaction_id=c.vat_transaction_id, issued_by=c.issued_by,
        issued_at=to_timestamp(c.issued_at),
    )  # fmt: skip


def charges_from_proto(reply: pb.ChargeInvoices) -> ChargeInvoices:
    return ChargeInvoices(data=[charge_from_proto(c) for c in reply.invoices], existing=reply.existing)


def charges_to_proto(charges: ChargeInvoices) -> pb.ChargeInvoices:
    return pb.ChargeInvoices(invoices=[charge_to_proto(c) for c in charges.data], existing=charges.existing)


def charges_query_to_proto(params: ChargeInvoiceListParams) -> pb.ListChargeInvoicesRequest:
    return pb.ListChargeInvoicesRequest(page=page_request(params), transaction_id=params.transaction_id or "",
                                        city_id=params.city_id or "")  # fmt: skip


def charges_query_from_proto(request: pb.ListChargeInvoicesRequest) -> ChargeInvoiceListParams:
    return ChargeInvoiceListParams(
        limit=request.page.limit,
        cursor=request.page.cursor or None,
        transaction_id=request.transaction_id or None,
        city_id=request.city_id or None,
    )


def charges_page_from_proto(reply: pb.ListChargeInvoicesResponse) -> Page[ChargeInvoice]:
    return Page[ChargeInvoice](data=[charge_from_proto(c) for c in reply.invoices],
                               next_cursor=cursor_or_none(reply.next_cursor))  # fmt: skip


def charges_page_to_proto(page: Page[ChargeInvoice]) -> pb.ListChargeInvoicesResponse:
    return pb.ListChargeInvoicesResponse(invoices=[charge_to_proto(c) for c in page.data],
                                         next_cursor=page.next_cursor or "")  # fmt: skip


def invoice_check_from_proto(message: pb.InvoiceCheck) -> InvoiceCheck:
    return InvoiceCheck(
        accepted=message.accepted, sha256=message.sha256, format=message.format, syntax=message.syntax,
        scenario=message.scenario, number=message.number, findings=[finding_from_proto(f) for f in message.findings],
        problem=message.problem,
    )  # fmt: skip


def invoice_check_to_proto(check: InvoiceCheck) -> pb.InvoiceCheck:
    return pb.InvoiceCheck(
        accepted=check.accepted, sha256=check.sha256, format=check.format, syntax=check.syntax,
        scenario=check.scenario, number=check.number, findings=[finding_to_proto(f) for f in check.findings],
        problem=check.problem,
    )  # fmt: skip


def finding_from_proto(f: pb.InvoiceFinding) -> InvoiceFinding:
    return InvoiceFinding(rule_id=f.rule_id, severity=f.severity, location=f.location, text=f.text, rules=f.rules)


def finding_to_proto(finding: InvoiceFinding) -> pb.InvoiceFinding:
    return pb.InvoiceFinding(**finding.model_dump())
