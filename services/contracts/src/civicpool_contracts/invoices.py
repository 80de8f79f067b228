"""E-invoices (E-Rechnung): the upload, the official check, matching against contracts and call-offs, and the city's
finance's decision, booked on the ledger (docs/invoices.md).

Who may do what (checked here with the verified caller):
- upload: a vendor's user (the invoice is its vendor's), or a city's finance (an invoice its city received
  elsewhere, for its own city);
- read: the vendor its own, a city's finance its city's, the network's finance and admins all; anyone else finds
  none (as for a missing one);
- approve or reject: the finance of the invoice's city; an approval never by the invoice's uploader (four eyes).

Every upload is stored with its SHA-256, whatever becomes of it: refused (no invoice one may read), invalid (the
official rules), duplicate (the vendor's invoice number again), mismatched or matched (invoice_matching.py). The
file is read and checked before the write transaction; the matching reads the city's call-offs and invoices under
its quota row's lock, so two invoices never both claim the same call-off.

An approval posts once (the status moves from matched by a guarded UPDATE in the posting's transaction):
invoiced:<contract> the net (against what was called off), city:<city> the VAT (what the city owes now, besides
the call-offs' net), payable:<invoice> the gross (owed to the vendor). A credit note posts the same with the signs
turned.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from civicpool_common import notify
from civicpool_common.auth import Principal, Role
from civicpool_common.database import integrity_violation, utc_now
from civicpool_common.errors import InvalidArgument, NotFound, PermissionDenied
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Euros, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.vocabulary import InvoiceStatus
from civicpool_einvoice import intake
from civicpool_einvoice.extraction import InvoiceData
from sqlalchemy import Select, false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency, invoice_matching, repository, rules
from civicpool_contracts.clients import InvoiceCatalog
from civicpool_contracts.invoice_matching import ContractTerms, Known, Mismatch
from civicpool_contracts.invoice_reading import Reading, problem_text, read
from civicpool_contracts.models import (
    Contract,
    ContractQuota,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    NotificationOrder,
)

MAX_FILE_NAME = 255
MIN_REASON = 10  # characters: a rejection tells the vendor what to correct
DECIDABLE = {"approve": (InvoiceStatus.MATCHED,), "reject": (InvoiceStatus.MATCHED, InvoiceStatus.MISMATCHED)}

# What a mismatch means, in the reader's language ({line}: BT-126; money as euros).
# fmt: off
MISMATCHES = {
    "currency": N_("the invoice is in '{invoiced}'; the contracts are in {expected}"),
    "buyer_reference": N_("the buyer reference (BT-10) '{invoiced}' is not the Leitweg-ID of the city the invoice is for ({expected})"),  # noqa: E501
    "unknown_buyer": N_("the buyer reference (BT-10) '{invoiced}' is no Leitweg-ID of a member city"),
    "misaddressed": N_("the buyer reference (BT-10) '{invoiced}' is not the Leitweg-ID of a city this contract or call-off is for"),  # noqa: E501
    "seller": N_("the seller's VAT id (BT-31) '{invoiced}' is not the VAT id of the vendor {expected}"),
    "contract": N_("the invoice names no contract of the vendor: BT-12 (the contract's reference, e.g. ETT-2026-003) or BT-13 (the call-off's number) is '{invoiced}'"),  # noqa: E501
    "issue_date": N_("the invoice date (BT-2) {invoiced} is outside the contract's term {expected}"),
    "lines": N_("the invoice has no lines"),
    "item": N_("line {line}: the item (BT-155) '{invoiced}' is not the contract's {expected}"),
    "vat_rate": N_("line {line}: VAT rate {invoiced} %, the item's is {expected} %"),
    "unit_price": N_("line {line}: unit price {invoiced}, called off at {expected} (difference {difference})"),
    "quantity": N_("line {line}: {invoiced} invoiced, {expected} called off and not yet invoiced at this price (difference {difference})"),  # noqa: E501
    "net_amount": N_("line {line}: net amount {invoiced}, quantity × unit price is {expected} (difference {difference})"),  # noqa: E501
    "net_total": N_("total net amount (BT-109) {invoiced}, recomputed {expected} (difference {difference})"),
    "tax_total": N_("total VAT (BT-110) {invoiced}, recomputed {expected} (difference {difference})"),
    "gross_total": N_("total with VAT (BT-112) {invoiced}, recomputed {expected} (difference {difference})"),
}
# fmt: on
MONEY_TERMS = frozenset({"unit_price", "net_amount", "net_total", "tax_total", "gross_total"})


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    lines: list[InvoiceLine]
    replayed: bool = False

    def problem(self) -> Text | None:
        return problem_text(self.invoice.problem)

    def mismatch_texts(self) -> list[Text]:
        return [mismatch_text(m) for m in self.invoice.mismatches]


def mismatch_text(stored: dict[str, object]) -> Text:
    term, expected, invoiced = str(stored["term"]), str(stored["expected"]), str(stored["invoiced"])
    if term == "buyer_reference" and not expected:
        term = "misaddressed"
    shown: dict[str, object] = {"expected": expected, "invoiced": invoiced}
    if term in MONEY_TERMS:
        shown = {"expected": _euros(expected), "invoiced": _euros(invoiced)}
    return Text(MISMATCHES[term], line=stored["line_id"], difference=Euros(int(str(stored["difference_cents"]))),
                **shown)  # fmt: skip


def _euros(value: str) -> object:
    try:
        return Euros(int(Decimal(value) * 100))
    except (InvalidOperation, ValueError):
        return value


class InvoiceService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: InvoiceCatalog) -> None:
        self._sessions = sessions
        self._catalog = catalog

    # -- intake --------------------------------------------------------------------------------

    async def upload(self, principal: Principal, file_name: str, content: bytes, *, key: str) -> InvoiceView:
        """Keep the file, check it by the official rules and match it; what became of it is its status."""
        vendor_id, city_id = _uploader(principal)
        name = " ".join(file_name.split())[:MAX_FILE_NAME] or "invoice"
        digest = hashlib.sha256(content).hexdigest()
        reading = await asyncio.to_thread(read, content)
        data = reading.data
        known = await self._known(principal, data, vendor_id, city_id) if data is not None else None

        async def perform(session: AsyncSession, invoice_id: str) -> InvoiceView:
            invoice = _record(invoice_id, principal, name, content, digest, reading)
            invoice.vendor_id, invoice.city_id = vendor_id, city_id
            lines = []
            if data is not None and known is not None:
                invoice.vendor_id = known.vendor_id
                invoice.city_id = city_id or known.buyer_city_id
                invoice.contract_id = known.contract.id if known.contract else ""
                invoice.buyer_name = known.buyer_name[:200]
                lines = [InvoiceLine(invoice_id=invoice_id, position=index, line_id=line.line_id[:200],
                                     seller_item_id=line.seller_item_id[:200], name=line.name[:200],
                                     quantity=line.quantity or 0, unit_price_cents=line.unit_price_cents or 0,
                                     net_cents=line.net_cents or 0, vat_rate_bps=line.vat_rate_bps or 0)
                         for index, line in enumerate(invoice_matching.lines_of(data), start=1)]  # fmt: skip
                if reading.status is None:
                    await self._match(session, invoice, data, known)
            session.add(invoice)  # the unit of work inserts it before its lines and file (their foreign keys)
            session.add_all([*_upload_mails(invoice), *lines])
            if len(content) <= intake.MAX_UPLOAD_BYTES:
                session.add(InvoiceDocument(invoice_id=invoice_id, content=content))
            return InvoiceView(invoice, lines)

        request: dict[str, object] = {"sha256": digest, "file_name": name}
        try:
            invoice_id, done, replayed = await idempotency.once(
                self._sessions, principal, key, "invoice", request, perform
            )
        except IntegrityError as error:  # the same number stored meanwhile by a concurrent upload: a duplicate now
            if integrity_violation(error) != "unique":
                raise
            invoice_id, done, replayed = await idempotency.once(
                self._sessions, principal, key, "invoice", request, perform
            )
        if done is None:  # a retry with the same key: the first upload's record
            return await self._view(invoice_id, principal=principal, replayed=replayed)
        return InvoiceView(_for_reader(done.invoice, principal), done.lines)

    async def _known(self, principal: Principal, data: InvoiceData, vendor_id: str, city_id: str) -> Known:
        """What the invoice names, looked up: its buyer and seller in the catalog, its contract here."""
        # A vendor's own upload names its contract before the catalog is asked: one call answers everything.
        contract, quotas, call_off = await self._named_contract(vendor_id, data) if vendor_id else (None, [], None)
        items = [contract.item_id] if contract else []
        parties = await self._catalog.invoice_parties(principal, data.buyer_reference, data.seller_vat_id, items)
        vendor, rates = vendor_id or parties.vendor_id, parties.vat_rate_bps
        if not vendor_id and vendor:  # a city's finance uploads: the vendor is the one BT-31 names
            contract, quotas, call_off = await self._named_contract(vendor, data)
            if contract is not None:
                rates = (await self._catalog.invoice_parties(principal, "", "", [contract.item_id])).vat_rate_bps
        rate = rates.get(contract.item_id, -1) if contract is not None else -1
        terms = None if contract is None else ContractTerms(
            contract.id, contract.reference, contract.vendor_id, contract.sku, contract.starts_on, contract.ends_on,
            frozenset(q.city_id for q in quotas),
        )  # fmt: skip
        call_off_city = call_off[1] if call_off is not None and terms is not None and call_off[0] == terms.id else ""
        return Known(vendor, parties.vendor_id, parties.city_id, parties.billing_unit, city_id, terms, call_off_city,
                     rate, {})  # fmt: skip

    async def _named_contract(
        self, vendor_id: str, data: InvoiceData
    ) -> tuple[Contract | None, list[ContractQuota], tuple[str, str] | None]:
        """The vendor's contract BT-12 names (or BT-13's call-off is of), its quotas, and that call-off."""
        async with self._sessions() as session:
            contract = None
            call_off = (
                await repository.call_off_by_reference(session, data.order_reference) if data.order_reference else None
            )
            if data.contract_reference:
                contract = await repository.vendor_contract_by_reference(session, vendor_id, data.contract_reference)
            if contract is None and call_off is not None:
                contract = await repository.vendor_contract_by_reference(session, vendor_id, call_off[0])
            quotas = (await repository.quotas_of(session, [contract.id])).get(contract.id, []) if contract else []
        return contract, quotas, call_off

    async def _match(self, session: AsyncSession, invoice: Invoice, data: InvoiceData, known: Known) -> None:
        """Duplicate, mismatched or matched, against the city's call-offs and invoices as they are now."""
        earlier = await repository.earlier_invoice(session, known.vendor_id, data.number) if known.vendor_id else ""
        if earlier:
            invoice.status, invoice.duplicate_of = InvoiceStatus.DUPLICATE.value, earlier
            return
        open_by_price: dict[int, int] = {}
        # The lines count against the city the invoice should be for (its call-off's, its uploader's), so that a
        # wrong Leitweg-ID is the one mismatch it is.
        city = known.call_off_city_id or known.uploader_city_id or known.buyer_city_id
        if known.contract is not None and city:
            # The quota row's lock: invoices for one city and contract are matched one after the other.
            await session.execute(
                select(ContractQuota.city_id)
                .where(ContractQuota.contract_id == known.contract.id, ContractQuota.city_id == city)
                .with_for_update()
            )
            open_by_price = invoice_matching.open_quantities(
                await repository.called_off_by_price(session, known.contract.id, city),
                await repository.invoiced_by_price(session, known.contract.id, city),
                data.credit_note,
            )
        found: list[Mismatch] = invoice_matching.mismatches(data, replace(known, open_by_price=open_by_price))
        invoice.mismatches = [m.as_json() for m in found]
        invoice.status = (InvoiceStatus.MISMATCHED if found else InvoiceStatus.MATCHED).value

    # -- reading -------------------------------------------------------------------------------

    async def check(self, principal: Principal, content: bytes) -> tuple[str, Reading]:
        """An upload's reading and official rules, and nothing kept (who may upload may check): its SHA-256 and
        what was read."""
        _uploader(principal)
        return hashlib.sha256(content).hexdigest(), await asyncio.to_thread(read, content)

    async def get(self, principal: Principal, invoice_id: str) -> InvoiceView:
        return await self._view(invoice_id, principal=principal)

    async def document(self, principal: Principal, invoice_id: str) -> tuple[Invoice, bytes]:
        async with self._sessions() as session:
            invoice = await _visible_invoice(session, principal, invoice_id)
            stored = await session.get(InvoiceDocument, invoice_id)
        if stored is None:
            raise NotFound(Text("the file of invoice {id} was not kept: it was over the size limit", id=invoice_id))
        return invoice, stored.content

    async def list(
        self, principal: Principal, *, city_id: str, vendor_id: str, contract_id: str, status: str, limit: int,
        cursor: str,
    ) -> Page[InvoiceView]:  # fmt: skip
        """The invoices the caller may see, newest first, filtered."""
        window = PageWindow.requested(limit, cursor)
        query = _visible(principal, select(Invoice))
        for column, value in ((Invoice.city_id, city_id), (Invoice.vendor_id, vendor_id),
                              (Invoice.contract_id, contract_id), (Invoice.status, status)):  # fmt: skip
            if value:
                query = query.where(column == value)
        if window.after is not None:
            query = query.where(Invoice.id < window.after)
        async with self._sessions() as session:
            found = list((await session.scalars(query.order_by(Invoice.id.desc()).limit(window.fetch))).all())
            page = window.close(found, lambda invoice: invoice.id)
            lines = await _lines_of(session, [invoice.id for invoice in page.records])
        return Page([InvoiceView(_for_reader(i, principal), lines.get(i.id, [])) for i in page.records],
                    page.next_cursor)  # fmt: skip

    async def _view(
        self, invoice_id: str, *, principal: Principal | None = None, replayed: bool = False
    ) -> InvoiceView:
        async with self._sessions() as session:
            invoice = await _visible_invoice(session, principal, invoice_id)
            lines = await _lines_of(session, [invoice_id])
        return InvoiceView(_for_reader(invoice, principal), lines.get(invoice_id, []), replayed)

    # -- the city's decision -------------------------------------------------------------------

    async def approve(self, principal: Principal, invoice_id: str, *, key: str) -> InvoiceView:
        """Approve a matched invoice for payment and book it (four eyes: not by its uploader)."""
        invoice = await self._decidable(principal, invoice_id, "approve")
        if invoice.uploaded_by == principal.username:
            raise PermissionDenied(
                Text(
                    "{user} uploaded this invoice: another person of the city's finance approves it (four eyes)",
                    user=principal.username,
                )
            )

        async def perform(session: AsyncSession, operation_id: str) -> None:
            now = utc_now()
            kind = "credit_note" if invoice.credit_note else "invoice"
            transaction = LedgerTransaction(
                id=time_ordered_id(), operation_id=operation_id, kind=kind,
                contract_id=invoice.contract_id, memo=invoice.number, reverses_id=None,
                created_by=principal.username, created_at=now,
            )  # fmt: skip
            await self._decide(session, invoice, "approve", principal, transaction_id=transaction.id)
            sign = -1 if invoice.credit_note else 1
            amounts = {
                rules.invoiced_account(invoice.contract_id): -sign * invoice.net_cents,
                rules.city_account(invoice.city_id): -sign * invoice.tax_cents,
                rules.payable_account(invoice.id): sign * invoice.gross_cents,
            }
            assert sum(amounts.values()) == 0, amounts  # a matched invoice's gross is its net and VAT, to the cent
            entries = [LedgerEntry(transaction_id=transaction.id, account=name, amount_cents=cents, posted_at=now)
                       for name, cents in sorted(amounts.items()) if cents]  # fmt: skip
            await repository.insert_rows(await session.connection(), [transaction], entries)

        _, _, replayed = await idempotency.once(
            self._sessions, principal, key, "approve_invoice", {"id": invoice_id}, perform
        )
        return await self._view(invoice_id, principal=principal, replayed=replayed)

    async def reject(self, principal: Principal, invoice_id: str, reason: str, *, key: str) -> InvoiceView:
        """Send a matched or mismatched invoice back to the vendor, saying why."""
        reason = reason.strip()
        if not MIN_REASON <= len(reason) <= rules.MAX_TEXT:
            raise InvalidArgument.for_field("reason", Text(
                "say in {least} to {most} characters what the vendor must correct", least=MIN_REASON,
                most=rules.MAX_TEXT))  # fmt: skip
        invoice = await self._decidable(principal, invoice_id, "reject")

        async def perform(session: AsyncSession, operation_id: str) -> None:
            await self._decide(session, invoice, "reject", principal, reason=reason)

        _, _, replayed = await idempotency.once(
            self._sessions, principal, key, "reject_invoice", {"id": invoice_id, "reason": reason}, perform
        )
        return await self._view(invoice_id, principal=principal, replayed=replayed)

    async def _decidable(self, principal: Principal, invoice_id: str, action: str) -> Invoice:
        async with self._sessions() as session:
            invoice = await _visible_invoice(session, principal, invoice_id)  # as stored, not as the reader reads it
        principal.require_any_role(Role.FINANCE)
        if principal.city != invoice.city_id or not invoice.city_id:
            raise PermissionDenied(Text("only the finance of {city}, the invoice's city, decides on it",
                                        city=invoice.city_id or "?"))  # fmt: skip
        return invoice

    @staticmethod
    async def _decide(
        session: AsyncSession, invoice: Invoice, action: str, principal: Principal, *, transaction_id: str = "",
        reason: str = "",
    ) -> None:  # fmt: skip
        """The guarded change of status: from one that allows the decision, once."""
        allowed = [status.value for status in DECIDABLE[action]]
        decided = InvoiceStatus.APPROVED if action == "approve" else InvoiceStatus.REJECTED
        result = await session.execute(
            update(Invoice).where(Invoice.id == invoice.id, Invoice.status.in_(allowed))
            .values(status=decided.value, decided_by=principal.username, decided_at=utc_now(),
                    rejection_reason=reason, transaction_id=transaction_id)
        )  # fmt: skip
        if result.rowcount != 1:  # type: ignore[attr-defined]
            current = await session.scalar(select(Invoice.status).where(Invoice.id == invoice.id))
            raise StateConflict(
                Text("the invoice is {status}: only a {allowed} invoice can be decided on this way",
                     status=current or "", allowed=" / ".join(allowed)),
                " / ".join(allowed),
            )  # fmt: skip
        session.add_all(_decision_mails(invoice, decided, reason))


def _upload_mails(invoice: Invoice) -> list[NotificationOrder]:
    """The vendor hears what became of its invoice unless it was matched; the city's finance when one waits for it."""
    mails = []
    status = invoice.status
    if invoice.vendor_id and status != InvoiceStatus.MATCHED:
        vendor = notify.audience(role=Role.VENDOR.value, vendor_id=invoice.vendor_id)
        mails.append(_mail(invoice, "invoice_outcome", status, vendor))
    if invoice.city_id and status in (InvoiceStatus.MATCHED, InvoiceStatus.MISMATCHED):
        finance = notify.audience(role=Role.FINANCE.value, city_id=invoice.city_id)
        mails.append(_mail(invoice, "invoice_waiting", status, finance))
    return mails


def _decision_mails(invoice: Invoice, decided: InvoiceStatus, reason: str) -> list[NotificationOrder]:
    if not invoice.vendor_id:
        return []
    audience = notify.audience(role=Role.VENDOR.value, vendor_id=invoice.vendor_id)
    return [_mail(invoice, "invoice_outcome", decided.value, audience, reason=reason)]


def _mail(invoice: Invoice, kind: str, variant: str, audience: Any, *, reason: str = "") -> NotificationOrder:
    values = {
        "variant": variant, "number": invoice.number, "file_name": invoice.file_name,
        "buyer": invoice.buyer_name or invoice.city_id, "seller": invoice.seller_name or invoice.vendor_id,
        "count": str(len(invoice.mismatches)), "reason": reason, "path": f"invoices/{invoice.id}",
    }  # fmt: skip
    key = f"contracts/invoice/{invoice.id}/{kind}/{variant}"
    order: NotificationOrder = notify.outbox_row(NotificationOrder, key, kind, [audience], values)
    return order


def _uploader(principal: Principal) -> tuple[str, str]:
    """(vendor, city) of the upload: the uploading vendor's, or the uploading city finance's city."""
    if principal.has_any_role([Role.VENDOR]):
        return principal.own_vendor(), ""
    if principal.has_any_role([Role.FINANCE]) and principal.city:
        return "", principal.city
    raise PermissionDenied(Text("a vendor uploads its invoices, a city's finance one its city received elsewhere"))


def _visible(principal: Principal, query: Select[Invoice]) -> Select[Invoice]:
    """Only the invoices the caller may see: the vendor its own, a city's finance its city's, the network's finance
    and admins all, nobody else any."""
    if principal.has_any_role([Role.NETWORK_ADMIN]):
        return query
    if principal.has_any_role([Role.FINANCE]):
        return query if principal.city is None else query.where(Invoice.city_id == principal.city)
    if principal.has_any_role([Role.VENDOR]) and principal.vendor:
        return query.where(Invoice.vendor_id == principal.vendor)
    return query.where(false())


async def _visible_invoice(session: AsyncSession, principal: Principal | None, invoice_id: str) -> Invoice:
    """The invoice if the caller may see it (None: another service, which sees all); NotFound, word for word as for a
    missing one, otherwise."""
    query = select(Invoice).where(Invoice.id == invoice_id)
    invoice = (await session.scalars(_visible(principal, query) if principal else query)).first()
    if invoice is None:
        raise NotFound(Text("invoice {id} does not exist", id=invoice_id))
    return invoice


def _for_reader(invoice: Invoice, principal: Principal | None) -> Invoice:
    """The invoice as this reader may read it (read from a closed session: nothing here is stored). An invoice
    addressed to a city that is not the one its contract or call-off is for tells that city neither which contract
    nor which other city: those are the vendor's to correct."""
    misaddressed = [m for m in invoice.mismatches if m["term"] == "buyer_reference" and m["expected"]]
    if principal is None or not misaddressed or principal.has_any_role([Role.VENDOR, Role.NETWORK_ADMIN]):
        return invoice
    if principal.has_any_role([Role.FINANCE]) and principal.city is None:
        return invoice  # the network's finance reads every city's
    invoice.contract_id = ""
    invoice.mismatches = [m | {"expected": ""} if m in misaddressed else m for m in invoice.mismatches]
    return invoice


def _record(invoice_id: str, principal: Principal, name: str, content: bytes, digest: str, reading: Reading) -> Invoice:
    data, report = reading.data, reading.report
    findings = [asdict(f) for f in (report.findings if report else ())]
    invoice = Invoice(
        id=invoice_id, status=(reading.status or InvoiceStatus.MATCHED).value, sha256=digest, file_name=name,
        size_bytes=len(content), format=reading.format, syntax=report.syntax if report else "",
        scenario=report.scenario if report else "", problem=reading.problem, findings=findings, mismatches=[],
        credit_note=False, number="", currency="", buyer_reference="", buyer_name="", seller_name="",
        contract_reference="", order_reference="",
        net_cents=0, tax_cents=0, gross_cents=0, city_id="", vendor_id="", contract_id="", duplicate_of="",
        uploaded_by=principal.username, uploaded_at=utc_now(), decided_by="", decided_at=None, rejection_reason="",
        transaction_id="",
    )  # fmt: skip
    if data is not None:
        invoice.number, invoice.credit_note, invoice.issue_date = data.number[:200], data.credit_note, data.issue_date
        invoice.currency = data.currency[:3]
        invoice.buyer_reference = data.buyer_reference[:200]
        invoice.seller_name = data.seller_name[:200]
        invoice.contract_reference, invoice.order_reference = data.contract_reference[:200], data.order_reference[:200]
        invoice.net_cents = invoice_matching.cents(data.tax_exclusive) or 0
        invoice.tax_cents = invoice_matching.cents(data.tax_total) or 0
        invoice.gross_cents = invoice_matching.cents(data.tax_inclusive) or 0
    return invoice


async def _lines_of(session: AsyncSession, invoice_ids: Sequence[str]) -> dict[str, list[InvoiceLine]]:
    found: dict[str, list[InvoiceLine]] = {}
    if invoice_ids:
        query = select(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)).order_by(InvoiceLine.position)
        for line in (await session.scalars(query)).all():
            found.setdefault(line.invoice_id, []).append(line)
    return found
