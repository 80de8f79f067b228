"""Charges to member cities: the lead city invoices each member its part of a shared cost as an XRechnung.

A shared cost (usage.share_cost) is one posting: the contract's account the whole amount, each city's account its
part. Issuing its charges writes one XRechnung 3.0 (UBL) per member city with a part (the lead city's own part is
not invoiced): the lead city is the seller (its invoicing details from the catalog; BT-29 its Leitweg-ID, else its
AGS, so that EN 16931's BR-CO-26 finds an identifier), the member the buyer (BT-10 its default Leitweg-ID), one
line of its part, due after the payment days. The VAT is the network's setting on the day of issue
(rules.charge_tax): outside the scope of VAT (category O, with the legal note) or taxable at 19 % on top of the part.
Taxable charges post their VAT at once (kind "charge"): each member's account what it owes more, the lead city's
output_vat account what it owes its tax office.

Every document is checked by the official rules before anything is kept; one that fails refuses the whole issue.
Numbers are the lead city's "charge" sequence (civicpool_common.numbering), taken in the issuing transaction: no
gap, no duplicate. A shared cost is charged once; asked again, the answer is what was issued then. A charged shared
cost is not reversed (usage.reverse): the member cities hold its invoices.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from civicpool_common import notify, numbering
from civicpool_common.auth import Principal, Role
from civicpool_common.database import integrity_violation, utc_now
from civicpool_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.ids import time_ordered_id
from civicpool_common.messages import N_, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ChargeVat
from civicpool_einvoice.amounts import vat_cents
from civicpool_einvoice.writing import Draft, Line, Party, ubl_invoice
from sqlalchemy import Select, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from civicpool_contracts import access, idempotency, repository, rules
from civicpool_contracts.clients import ChargeCatalog, ChargeParty
from civicpool_contracts.invoice_reading import shared_validator
from civicpool_contracts.models import (
    ChargeInvoice,
    Contract,
    LedgerEntry,
    LedgerTransaction,
    NotificationOrder,
    ReferenceCounters,
)

log = logging.getLogger(__name__)
DEFAULT_PAYMENT_DAYS, MIN_PAYMENT_DAYS, MAX_PAYMENT_DAYS = 30, 7, 90
CHARGE_ITEM_ID = "UMLAGE"  # BT-155 of a charge's line
ISSUERS = (Role.PROCUREMENT_LEAD, Role.FINANCE)
_SELLER_LACKS = N_(
    "{city}, the lead city, lacks the invoicing details a charge needs (address, e-mail, telephone, IBAN, tax number): the network admin enters them with the city"  # noqa: E501
)
_BUYERS_LACK = N_(
    "these member cities lack invoicing details or a Leitweg-ID, so no charge can be addressed to them: {cities}; the network admin enters them with each city, nothing was issued"  # noqa: E501
)


@dataclass(frozen=True)
class IssuedCharges:
    invoices: list[ChargeInvoice]
    existing: bool  # issued before: the same charges again


class ChargeService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: ChargeCatalog) -> None:
        self._sessions = sessions
        self._catalog = catalog

    async def issue(self, principal: Principal, transaction_id: str, payment_days: int) -> IssuedCharges:
        """The charges of a shared cost, one per member city with a part; refused whole when one cannot be issued."""
        payment_days = payment_days or DEFAULT_PAYMENT_DAYS
        if not MIN_PAYMENT_DAYS <= payment_days <= MAX_PAYMENT_DAYS:
            raise InvalidArgument.for_field("payment_days", Text(
                "say in {least} to {most} days when the charges are due", least=MIN_PAYMENT_DAYS,
                most=MAX_PAYMENT_DAYS))  # fmt: skip
        if not principal.has_any_role(ISSUERS) or not principal.city:  # before the lookup: ids cannot be probed
            raise PermissionDenied(Text("only a procurement lead or a city's finance charges the member cities"))
        async with self._sessions() as session:
            shared, contract = await _visible_posting(session, principal, transaction_id)
            if principal.city != contract.lead_city_id:
                raise PermissionDenied(Text(
                    "only a procurement lead or the finance of {city}, the lead city, charges the members",
                    city=contract.lead_city_id))  # fmt: skip
            issued = await repository.charges_of(session, transaction_id)
            if issued:
                return IssuedCharges(issued, existing=True)
            if shared.kind != "shared_cost":
                raise FailedPrecondition(Text(
                    "ledger transaction {id} is no shared cost: only a shared cost is charged to the member cities",
                    id=transaction_id))  # fmt: skip
            if await repository.reversal_of(session, transaction_id) is not None:
                raise FailedPrecondition(Text("the shared cost {id} was reversed: there is nothing to charge",
                                              id=transaction_id))  # fmt: skip
            entries = (await repository.entries_of(session, [transaction_id]))[transaction_id]
            setting = await repository.charge_vat_in_force(session)
        parts = {city: -entry.amount_cents for entry in entries
                 if (city := rules.city_of_account(entry.account)) and city != contract.lead_city_id}  # fmt: skip
        if not parts:
            raise FailedPrecondition(Text("the shared cost {id} falls on the lead city alone: no member to charge",
                                          id=transaction_id))  # fmt: skip
        parties = await self._catalog.charge_parties(principal, [contract.lead_city_id, *sorted(parts)])
        seller = _seller(parties, contract.lead_city_id)
        buyers = _buyers(parties, sorted(parts))
        today = network_today()
        tax = rules.charge_tax(ChargeVat(setting.treatment) if setting else ChargeVat.LAW_ON_INVOICE_DATE, today)
        terms = _Terms(contract, shared.memo, today, today + dt.timedelta(days=payment_days), tax)

        async def perform(session: AsyncSession, operation_id: str) -> list[ChargeInvoice]:
            connection, now = await session.connection(), utc_now()
            charges = []
            for city_id, part in sorted(parts.items()):
                number = await numbering.next_reference(connection, ReferenceCounters, "charge", seller.city_id, now)
                content = ubl_invoice(_draft(number, seller, buyers[city_id], part, terms))
                report = await asyncio.to_thread(shared_validator().validate, content)
                if not report.accepted:  # civicpool's own writing: a defect, so the whole issue is refused
                    failed = sorted({f.rule_id for f in report.findings if f.severity in ("fatal", "error")})
                    log.error("charge %s to %s fails the official rules: %s", number, city_id, failed)
                    raise FailedPrecondition(Text(
                        "the charge to {city} fails the official rules ({rules}): nothing was issued",
                        city=city_id, rules=", ".join(failed) or report.scenario or "?"))  # fmt: skip
                vat = vat_cents(part, tax.rate_bps)
                charges.append(ChargeInvoice(
                    id=time_ordered_id(), number=number, transaction_id=transaction_id, contract_id=contract.id,
                    seller_city_id=seller.city_id, buyer_city_id=city_id, leitweg_id=buyers[city_id].leitweg_id,
                    issue_date=terms.issue_date, due_date=terms.due_date, net_cents=part,
                    vat_cents=vat, gross_cents=part + vat,
                    vat_category="O" if tax.outside_scope else "S", vat_rate_bps=tax.rate_bps,
                    legal_note=tax.note, sha256=hashlib.sha256(content).hexdigest(), content=content,
                    vat_transaction_id="", issued_by=principal.username, issued_at=now,
                ))  # fmt: skip
            vat_posting = await _post_vat(connection, principal, operation_id, contract, charges)
            for charge in charges:
                charge.vat_transaction_id = vat_posting
            session.add_all(charges)
            session.add_all([_mail(charge, seller.name, shared.memo) for charge in charges])
            return charges

        try:
            _, done, _ = await idempotency.once(self._sessions, principal, "", "charge", {}, perform)
        except IntegrityError as error:  # issued meanwhile by a concurrent request: those charges
            if integrity_violation(error) != "unique":
                raise
            async with self._sessions() as session:
                return IssuedCharges(await repository.charges_of(session, transaction_id), existing=True)
        assert done is not None
        return IssuedCharges(done, existing=False)

    async def list(
        self, principal: Principal, *, transaction_id: str, city_id: str, limit: int, cursor: str
    ) -> Page[ChargeInvoice]:
        """The charges the caller may see, newest first: of a shared cost, or of a city as seller or buyer."""
        window = PageWindow.requested(limit, cursor)
        query = _visible(principal, select(ChargeInvoice))
        if transaction_id:
            query = query.where(ChargeInvoice.transaction_id == transaction_id)
        if city_id:
            query = query.where(or_(ChargeInvoice.seller_city_id == city_id, ChargeInvoice.buyer_city_id == city_id))
        if window.after is not None:
            query = query.where(ChargeInvoice.id < window.after)
        async with self._sessions() as session:
            found = list((await session.scalars(query.order_by(ChargeInvoice.id.desc()).limit(window.fetch))).all())
        return window.close(found, lambda charge: charge.id)

    async def get(self, principal: Principal, charge_id: str, *, with_document: bool = False) -> ChargeInvoice:
        """The charge if the caller may see it (with its XRechnung when asked); NotFound, word for word as for a
        missing one, otherwise."""
        query = select(ChargeInvoice).where(ChargeInvoice.id == charge_id)
        if with_document:
            query = query.options(undefer(ChargeInvoice.content))
        async with self._sessions() as session:
            charge = (await session.scalars(_visible(principal, query))).first()
        if charge is None:
            raise NotFound(Text("charge invoice {id} does not exist", id=charge_id))
        return charge


@dataclass(frozen=True)
class _Terms:
    """What every charge of one shared cost says alike."""

    contract: Contract
    memo: str
    issue_date: dt.date
    due_date: dt.date
    tax: rules.ChargeTax


async def _visible_posting(
    session: AsyncSession, principal: Principal, transaction_id: str
) -> tuple[LedgerTransaction, Contract]:
    """The posting and its contract if the caller may see the contract (access.visible_contract); NotFound, word for
    word as for a missing posting, otherwise."""
    missing = NotFound(Text("ledger transaction {id} does not exist", id=transaction_id))
    posting = await session.get(LedgerTransaction, transaction_id)
    if posting is None or posting.contract_id is None:
        raise missing
    try:
        contract, _ = await access.visible_contract(session, principal, posting.contract_id)
    except NotFound:
        raise missing from None
    return posting, contract


def _seller(parties: dict[str, ChargeParty], city_id: str) -> ChargeParty:
    """The lead city, with every detail an XRechnung's seller needs (BR-DE-2 to 7: address, contact, telephone)."""
    seller = parties.get(city_id)
    if seller is None or not seller.invoicing or not seller.invoicing.get("phone"):
        raise FailedPrecondition(Text(_SELLER_LACKS, city=city_id))  # fmt: skip
    return seller


def _buyers(parties: dict[str, ChargeParty], city_ids: Sequence[str]) -> dict[str, ChargeParty]:
    """The member cities, each with its address (BR-DE-8, 9) and a Leitweg-ID (BT-10, BR-DE-15)."""
    lacking = [city for city in city_ids if city not in parties or not parties[city].invoicing
               or not parties[city].leitweg_id]  # fmt: skip
    if lacking:
        raise FailedPrecondition(Text(_BUYERS_LACK, cities=", ".join(lacking)))
    return {city: parties[city] for city in city_ids}


def _party(party: ChargeParty, *, seller: bool) -> Party:
    details = party.invoicing
    return Party(
        name=party.name, street=details["street"], city=details["town"], postal_code=details["postcode"],
        email=details["email"], identifier=(party.leitweg_id or party.ags) if seller else "",
        tax_number=details.get("tax_number", "") if seller else "", contact_name=details.get("contact_name", ""),
        phone=details.get("phone", ""),
    )  # fmt: skip


def _draft(number: str, seller: ChargeParty, buyer: ChargeParty, part_cents: int, terms: _Terms) -> Draft:
    reference = terms.contract.reference or terms.contract.id
    line = Line(CHARGE_ITEM_ID, f"Anteil an: {terms.memo} (Vertrag {reference})"[:200], 1, part_cents,
                terms.tax.rate_bps, unit_code="C62")  # fmt: skip
    return Draft(
        number=number, issue_date=terms.issue_date, buyer_reference=buyer.leitweg_id,
        seller=_party(seller, seller=True), buyer=_party(buyer, seller=False), lines=[line],
        iban=seller.invoicing["iban"], due_date=terms.due_date,
        payment_terms=f"Zahlbar ohne Abzug bis {terms.due_date:%d.%m.%Y}.", contract_reference=reference,
        note=terms.tax.note, exemption_reason=terms.tax.note if terms.tax.outside_scope else "",
        outside_scope=terms.tax.outside_scope,
    )  # fmt: skip


async def _post_vat(
    connection: AsyncConnection, principal: Principal, operation_id: str, contract: Contract,
    charges: Sequence[ChargeInvoice],
) -> str:  # fmt: skip
    """The VAT the charges bear, posted once: each member owes it, the lead city owes it its tax office. "" when the
    charges bear none."""
    total = sum(charge.vat_cents for charge in charges)
    if not total:
        return ""
    now = utc_now()
    transaction = LedgerTransaction(
        id=time_ordered_id(), operation_id=operation_id, kind="charge", contract_id=contract.id,
        memo=", ".join(charge.number for charge in charges)[:2000], reverses_id=None,
        created_by=principal.username, created_at=now,
    )  # fmt: skip
    amounts = {rules.city_account(c.buyer_city_id): -c.vat_cents for c in charges if c.vat_cents}
    amounts[rules.output_vat_account(contract.lead_city_id)] = total
    entries = [LedgerEntry(transaction_id=transaction.id, account=name, amount_cents=cents, posted_at=now)
               for name, cents in sorted(amounts.items())]  # fmt: skip
    await repository.insert_rows(connection, [transaction], entries)
    return transaction.id


def _mail(charge: ChargeInvoice, seller: str, memo: str) -> NotificationOrder:
    """The member city's finance hears of the charge (the portal's finance page lists it)."""
    values = {"number": charge.number, "seller": seller, "memo": memo[:200], "leitweg_id": charge.leitweg_id,
              "due_date": charge.due_date.isoformat(), "path": "finance#charges"}  # fmt: skip
    finance = notify.audience(role=Role.FINANCE.value, city_id=charge.buyer_city_id)
    order: NotificationOrder = notify.outbox_row(
        NotificationOrder, f"contracts/charge/{charge.id}/charge_issued", "charge_issued", [finance], values
    )
    return order


def _visible(principal: Principal, query: Select[ChargeInvoice]) -> Select[ChargeInvoice]:
    """Only the charges the caller may see: the network's admins and finance all; a city's finance and procurement
    leads those their city issued or received; nobody else any."""
    if principal.has_any_role([Role.NETWORK_ADMIN]) or (principal.has_any_role([Role.FINANCE]) and not principal.city):
        return query
    if principal.has_any_role(ISSUERS) and principal.city:
        city = principal.city
        return query.where(or_(ChargeInvoice.seller_city_id == city, ChargeInvoice.buyer_city_id == city))
    return query.where(false())
