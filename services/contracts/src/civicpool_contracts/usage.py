"""Contracts in use: call-offs, the license pool, quota shifts, the ledger, reversals.

Who may do what (checked here with the verified caller):
- call-offs, returns, takes from the pool: the city's IT for its own city, or a
  procurement lead of the contract's lead city for any city;
- moves between cities and quota shifts: a lead of the lead city;
- reversals: a lead of the lead city or a network admin;
- reading: leads and admins everything; city IT and finance their own city's
  numbers (finance without a city: every city); vendors nothing of the cities.

Every operation is one database transaction: guarded UPDATEs of the counters
(holdings.py), the movements, and one balanced ledger transaction. With an
Idempotency-Key it is done once per caller and key: a retry answers the first
result and posts nothing; the same key with another request is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from civicpool_common import numbering, references
from civicpool_common.auth import NETWORK_WIDE, Principal, Role
from civicpool_common.database import integrity_violation, utc_now
from civicpool_common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Euros, Labels, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.references import Kind, Reference
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ContractStatus, PassOnCause
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from civicpool_contracts import holdings, idempotency, repository, rules
from civicpool_contracts.access import city_in_reach, may_see_contract, require_lead, require_parties, visible_contract
from civicpool_contracts.booking import Booking, bookings
from civicpool_contracts.clients import UsageCatalog
from civicpool_contracts.models import (
    CallOffNumber,
    CascadeStep,
    Contract,
    ContractQuota,
    FrameworkQuota,
    LedgerEntry,
    LedgerTransaction,
    Movement,
    QuotaShift,
    ReferenceCounters,
)
from civicpool_contracts.one_statement import LimitReached, Move, OneStatement, Stale

log = logging.getLogger("civicpool.contracts")
CALL_OFF_KINDS = ("call_off", "take")  # postings that are call-offs (from the vendor, from the pool): numbered
MIN_JOINING_REASON = 10  # characters: why a city becomes a party to a contract after its award
_SHARED_COST_LIMIT = N_(
    "must be between 1 cent and {max}: a cost that large is a purchase of its own, with its own procedure (the EU threshold)"  # noqa: E501
)
_CHARGED = N_("the member cities were charged this shared cost ({numbers}): it is not reversed, the invoices stand")
_QUOTA_LEFT = N_(
    "{city} has {left} of its quota of {quota} left, the contract {contract_left} of its ceiling of {ceiling} ({value})"
)
_FRAMEWORK_LEFT = N_(
    "{city} has {left} of its framework quota of {quota} left, the framework {framework_left} of its maximum of {max} for all its vendors ({value} of its maximum value)"  # noqa: E501
)
_CASCADE_END = N_(
    "no vendor of the framework ranks after {vendor} and can take the call-off: reverse it, or call off by mini-competition"  # noqa: E501
)
_OFFERS_END = N_(
    "no further offer of the mini-competition can take the call-off of {vendor}: reverse it, and invite offers again"
)
_CASCADE_ORDER = N_(
    "{vendor} ranks {rank} in the framework of {sku}: call-offs go to the vendor ranked 1 first, and to the next when the vendor before declines or cannot deliver in time (pass the call-off on)"  # noqa: E501
)
_PRICE_CHANGED = N_(
    "the contract's unit price changed to {price} (§ 132 GWB) while this was being done; nothing was posted: send it again"  # noqa: E501
)
_CHANGED_MEANWHILE = N_("contract {id} changed while this was being done; nothing was posted: send it again")
# What a refused movement would have done, for its message: "40 cannot be called off: ..."
_VERBS = {"call_off": N_("called off"), "take": N_("taken"), "return": N_("returned"), "move_out": N_("moved out"),
          "move_in": N_("moved in")}  # fmt: skip


@dataclass(frozen=True)
class Operation:
    """What one request did: its movements and its ledger transaction (replayed: answered from a key)."""

    id: str
    kind: str
    contract: Contract
    movements: list[Movement]
    transaction: LedgerTransaction
    entries: list[LedgerEntry]
    replayed: bool = False
    booking: Booking | None = None  # what it was, for its text (read once it is committed)


@dataclass(frozen=True)
class Utilisation:
    contract: Contract
    cities: list[ContractQuota]


@dataclass(frozen=True)
class Posting:
    transaction: LedgerTransaction
    entries: list[LedgerEntry]
    booking: Booking | None = None


@dataclass
class Refused(Exception):
    """A guarded change found a limit; the transaction is rolled back before the reason is read."""

    contract_id: str
    kind: str
    city_id: str
    quantity: int
    unit_price_cents: int | None = None  # the price the movement was posted at, when the contract's was checked


@dataclass(frozen=True)
class Records:
    """What one operation writes besides the counters: its posting, its entries, its movements."""

    transaction: LedgerTransaction
    movements: list[Movement]
    entries: list[LedgerEntry]
    contract_deltas: dict[str, int]  # the contract's counters' changes (holdings.EFFECTS)


def _records(
    principal: Principal,
    operation_id: str,
    contract: Contract,
    steps: Sequence[tuple[str, str, int]],
    *,
    reverses: LedgerTransaction | None = None,
    memo: str = "",
    step_amounts: Sequence[int] | None = None,
) -> Records:
    """The movements and one balanced posting of the steps. Each step is worth its quantity at the contract's price,
    or its amount in `step_amounts` (a reversal: the original's, whatever price the contract has now)."""
    now = utc_now()
    kind = "reversal" if reverses is not None else ("move" if steps[0][0].startswith("move") else steps[0][0])
    transaction = LedgerTransaction(
        id=time_ordered_id(), operation_id=operation_id, kind=kind, contract_id=contract.id,
        memo=memo or f"{kind} {operation_id}",
        reverses_id=reverses.id if reverses is not None else None, created_by=principal.username, created_at=now,
    )  # fmt: skip
    amounts: dict[str, int] = {}
    contract_deltas: dict[str, int] = {}
    movements = []
    for index, (step_kind, city_id, quantity) in enumerate(steps):
        effect = holdings.EFFECTS[step_kind]
        amount = quantity * contract.unit_price_cents if step_amounts is None else step_amounts[index]
        movements.append(Movement(operation_id=operation_id, contract_id=contract.id, city_id=city_id, kind=step_kind,
                                  quantity=quantity, amount_cents=amount, transaction_id=transaction.id,
                                  created_by=principal.username, created_at=now))  # fmt: skip
        if effect.contract_column:
            column = effect.contract_column
            contract_deltas[column] = contract_deltas.get(column, 0) + effect.contract_sign * quantity
        for account_kind, sign in effect.postings:
            name = rules.account(account_kind, contract.id, city_id)
            amounts[name] = amounts.get(name, 0) + sign * amount
    assert sum(amounts.values()) == 0, amounts  # balanced by construction (EFFECTS)
    entries = [LedgerEntry(transaction_id=transaction.id, account=name, amount_cents=cents, posted_at=now)
               for name, cents in sorted(amounts.items()) if cents != 0]  # fmt: skip
    return Records(transaction, movements, entries, contract_deltas)


class UsageService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], catalog: UsageCatalog, max_shared_cents: int = 21_600_000
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._max_shared_cents = max_shared_cents  # the EU threshold: above it, a cost is a procurement of its own
        # PostgreSQL: call-offs, takes and returns in one statement; SQLite: the transaction path for everything.
        engine = sessions.kw["bind"]
        self._one_statement = OneStatement(engine) if engine.dialect.name == "postgresql" else None

    # -- operations ------------------------------------------------------------------------

    async def call_off(
        self, principal: Principal, contract_id: str, city_id: str, quantity: int, *, from_pool: bool, key: str
    ) -> Operation:
        """Seats or devices for a city: from the vendor (within quota and ceiling) or, for licenses, the pool."""
        kind = "take" if from_pool else "call_off"
        _check_city_actor(principal, city_id)
        _check_quantity(quantity)
        await references.require_active(self._catalog, references.cities("city_id", [city_id]))

        request = {"contract_id": contract_id, "city_id": city_id, "quantity": quantity, "from_pool": from_pool}
        steps = [(kind, city_id, quantity)]

        def authorize(contract: Contract) -> None:
            _check_city_actor(principal, city_id, contract)
            if not from_pool:
                _check_first_in_cascade(contract)

        return await self._moving(
            principal, key, kind, request, contract_id, steps, license_only=from_pool, authorize=authorize,
            parties={"city_id": city_id},
        )  # fmt: skip

    async def return_seats(
        self, principal: Principal, contract_id: str, city_id: str, quantity: int, *, key: str
    ) -> Operation:
        """A city returns license seats to the contract's pool, where another city can take them."""
        _check_city_actor(principal, city_id)
        _check_quantity(quantity)
        await references.require_active(self._catalog, references.cities("city_id", [city_id]))

        request = {"contract_id": contract_id, "city_id": city_id, "quantity": quantity}
        steps = [("return", city_id, quantity)]
        return await self._moving(
            principal, key, "return", request, contract_id, steps, license_only=True,
            authorize=lambda contract: _check_city_actor(principal, city_id, contract), parties={"city_id": city_id},
        )  # fmt: skip

    async def move(
        self, principal: Principal, contract_id: str, from_city: str, to_city: str, quantity: int, *, key: str
    ) -> Operation:
        """License seats from one city straight to another, in one operation (a lead of the lead city)."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        _check_quantity(quantity)
        if from_city == to_city:
            raise InvalidArgument.for_field("to_city_id", Text("a move needs two different cities"))
        named = {"from_city_id": from_city, "to_city_id": to_city}
        await references.require_active(self._catalog, [Reference(f, Kind.CITY, c) for f, c in named.items()])

        request = {"contract_id": contract_id, "from": from_city, "to": to_city, "quantity": quantity}
        steps = [("move_out", from_city, quantity), ("move_in", to_city, quantity)]
        return await self._moving(
            principal, key, "move", request, contract_id, steps, license_only=True,
            authorize=lambda contract: require_lead(principal, contract), parties=named,
        )  # fmt: skip

    async def shift_quota(
        self, principal: Principal, contract_id: str, from_city: str, to_city: str, quantity: int, reason: str,
        *, key: str, add_party: bool = False,
    ) -> tuple[QuotaShift, bool]:  # fmt: skip
        """Unused quota from one city to another, recorded (a lead of the lead city).

        The receiving city must be a party to the contract already, unless the lead adds it as a party
        on purpose (`add_party`, with the reason why): a recorded decision, never a side effect of a typo.
        """
        contract, quotas = await self._visible_contract(principal, contract_id)
        require_lead(principal, contract)
        _check_quantity(quantity)
        if from_city == to_city:
            raise InvalidArgument.for_field("to_city_id", Text("a shift needs two different cities"))
        if len(reason) > rules.MAX_TEXT:
            raise InvalidArgument.for_field(
                "reason", Text("must have at most {limit} characters", limit=rules.MAX_TEXT)
            )
        joining = to_city if add_party and to_city not in {q.city_id for q in quotas} else ""
        if joining and len(reason.strip()) < MIN_JOINING_REASON:
            raise InvalidArgument.for_field(
                "reason",
                Text(
                    "say why {city} becomes a party to the contract (at least {count} letters)",
                    city=to_city,
                    count=MIN_JOINING_REASON,
                ),
            )
        named = {"from_city_id": from_city, "to_city_id": to_city}
        await references.require_active(self._catalog, [Reference(f, Kind.CITY, c) for f, c in named.items()])
        require_parties(contract, {q.city_id for q in quotas}, named, joining=joining)

        async def perform(session: AsyncSession, operation_id: str) -> Operation | None:
            await self._usable_contract(session, contract_id)
            # A framework with several vendors: its quota, and the same on every vendor's contract (quota rows first,
            # then the framework's: the lock order of call-offs).
            framework_id = contract.framework_id
            sharing = [c.id for c in await repository.framework_contracts(session, framework_id)] if framework_id \
                else [contract_id]  # fmt: skip
            deltas = sorted([(from_city, -quantity), (to_city, quantity)])
            for city_id, delta in deltas:
                for sharing_id in sorted(sharing):
                    await self._shift_quota_row(session, sharing_id, city_id, delta, quantity, joining)
            for city_id, delta in deltas if framework_id else []:
                if city_id == joining and await session.get(FrameworkQuota, (framework_id, city_id)) is None:
                    session.add(FrameworkQuota(framework_id=framework_id, city_id=city_id, quantity=0, called_off=0))
                    await session.flush()
                if not await holdings.shift_framework_quota(await session.connection(), framework_id, city_id, delta):
                    raise await self._unshiftable(session, contract_id, city_id, quantity, framework_id)
            session.add(QuotaShift(id=operation_id, contract_id=contract_id, from_city_id=from_city,
                                   to_city_id=to_city, quantity=quantity, reason=reason.strip(),
                                   adds_party=bool(joining), created_by=principal.username,
                                   created_at=utc_now()))  # fmt: skip
            return None

        request = {"contract_id": contract_id, "from": from_city, "to": to_city, "quantity": quantity, "reason": reason,
                   "add_party": add_party}  # fmt: skip
        operation_id, _, replayed = await idempotency.once(
            self._sessions, principal, key, "quota_shift", request, perform
        )
        async with self._sessions() as session:
            shift = await session.get(QuotaShift, operation_id)
        assert shift is not None
        return shift, replayed

    async def reverse(self, principal: Principal, transaction_id: str, reason: str, *, key: str) -> Operation:
        """A correction: the inverse of a posting and of its movements, referencing the original."""
        if not reason.strip():
            raise InvalidArgument.for_field("reason", Text("say why the posting is reversed; finance reads it"))
        if len(reason) > rules.MAX_TEXT:
            raise InvalidArgument.for_field(
                "reason", Text("must have at most {limit} characters", limit=rules.MAX_TEXT)
            )
        if not principal.has_any_role(NETWORK_WIDE):  # before the lookup: ids cannot be probed
            raise PermissionDenied(
                Text("only a procurement lead of the lead city or a network admin reverses postings")
            )
        async with self._sessions() as session:
            original = await session.get(LedgerTransaction, transaction_id)
        if original is None:
            raise NotFound(Text("ledger transaction {id} does not exist", id=transaction_id))
        if original.contract_id is not None:
            contract, _ = await self._visible_contract(principal, original.contract_id)
            require_lead(principal, contract, admins_too=True)
        if original.kind == "reversal":
            raise StateConflict(Text("a reversal is not reversed; post the original again instead"), "reversal")
        if original.kind == "charge":
            raise StateConflict(Text("the VAT of charges is not reversed: the member cities hold their invoices"),
                                "charge")  # fmt: skip

        async with self._sessions() as session:
            reversal = await repository.reversal_of(session, original.id)
            if reversal is not None and not key:
                raise AlreadyExists(
                    Text(
                        "ledger transaction {id} is already reversed by {reversal}",
                        id=transaction_id,
                        reversal=reversal,
                    )
                )
            charged = [charge.number for charge in await repository.charges_of(session, original.id)]
            if charged:
                raise StateConflict(Text(_CHARGED, numbers=", ".join(charged)), "charged")
            moved = await repository.movements_of_transaction(session, original.id)
        steps = [(m.kind, m.city_id, -m.quantity) for m in moved]
        assert original.contract_id is not None
        try:
            return await self._moving(
                principal, key, "reversal", {"transaction_id": transaction_id}, original.contract_id, steps,
                license_only=False, reverses=original, memo=reason.strip(),
                step_amounts=[-m.amount_cents for m in moved],  # as posted, whatever the price is now
            )  # fmt: skip
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise
            raise AlreadyExists(Text("ledger transaction {id} is already reversed", id=transaction_id)) from None

    async def pass_on(
        self, principal: Principal, transaction_id: str, cause: PassOnCause, reason: str, *, key: str,
        offers: Sequence[tuple[str, int]] | None = None,
    ) -> Operation:  # fmt: skip
        """A framework call-off whose vendor declined or cannot deliver in time goes to the next-ranked vendor (the
        cascade of § 21 (4) Nr. 1 VgV), in one operation: the call-off reversed at what it was posted, and the same
        quantity called off from the next vendor at its price; recorded with the cause and reason. The city's IT
        for its own call-off, or a lead of the lead city. Returns the new call-off.

        `offers`: the call-off came from a mini-competition, whose offers (contract id, offered unit price) are
        given best first: it goes to the next usable offer at its offered price instead."""
        if not reason.strip() or len(reason) > rules.MAX_TEXT:
            raise InvalidArgument.for_field(
                "reason", Text("say why, in at most {limit} characters: the city and the lead read it",
                               limit=rules.MAX_TEXT)
            )  # fmt: skip
        async with self._sessions() as session:
            original = await session.get(LedgerTransaction, transaction_id)
            moved = await repository.movements_of_transaction(session, transaction_id) if original else []
        missing = NotFound(Text("call-off {id} does not exist", id=transaction_id))
        if original is None or original.kind != "call_off" or original.contract_id is None or len(moved) != 1:
            raise missing
        try:
            contract, _ = await self._visible_contract(principal, original.contract_id)
        except NotFound:
            raise missing from None
        if not principal.sees_city(moved[0].city_id):  # another city's call-off answers like a missing one
            raise missing
        city_id, quantity, amount = moved[0].city_id, moved[0].quantity, moved[0].amount_cents
        _check_city_actor(principal, city_id, contract)
        async with self._sessions() as session:
            framework = await repository.framework_contracts(session, contract.framework_id) if contract.framework_id \
                else []  # fmt: skip
        if offers is None:  # the framework's order, each vendor at its framework price
            following = [(c, c.unit_price_cents) for c in framework if c.framework_rank > contract.framework_rank]
        else:  # the mini-competition's order, each vendor at its offer
            by_id, ranked = {c.id: c for c in framework}, [contract_id for contract_id, _ in offers]
            after = ranked.index(contract.id) + 1 if contract.id in ranked else len(ranked)
            following = [(by_id[contract_id], price) for contract_id, price in offers[after:] if contract_id in by_id]
        usable = [(c, price) for c, price in following if is_usable(c)]
        if not usable:
            end = _CASCADE_END if offers is None else _OFFERS_END
            raise StateConflict(Text(end, vendor=contract.vendor_id), "active")
        successor, unit_price = usable[0]

        async def perform(session: AsyncSession, operation_id: str) -> Operation:
            connection = await session.connection()
            # Both quota rows first, in contract order (the lock order of every movement), then the rest.
            for locked in sorted([contract.id, successor.id]):
                await session.get(ContractQuota, (locked, city_id), with_for_update=True, populate_existing=True)
            if await repository.reversal_of(session, original.id) is not None:
                raise AlreadyExists(Text("call-off {id} is already reversed or passed on", id=transaction_id))
            memo = f"{cause.value}: {reason.strip()}"
            reversal = await self._move(
                connection, principal, time_ordered_id(), contract, [("call_off", city_id, -quantity)],
                reverses=original, memo=memo, step_amounts=[-amount],
            )  # fmt: skip
            passed = await self._move(connection, principal, operation_id, successor, [("call_off", city_id, quantity)],
                                      memo=memo, step_amounts=[quantity * unit_price])  # fmt: skip
            session.add(CascadeStep(
                id=operation_id, call_off_id=original.id, reversal_id=reversal.transaction.id,
                next_call_off_id=passed.transaction.id, from_contract_id=contract.id, to_contract_id=successor.id,
                cause=cause.value, reason=reason.strip(), created_by=principal.username, created_at=utc_now(),
            ))  # fmt: skip
            await session.flush()
            return passed

        request: dict[str, object] = {"transaction_id": transaction_id, "cause": cause.value, "reason": reason}
        try:
            return await self._posting_once(principal, key, "pass_on", request, perform)
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise
            raise AlreadyExists(Text("call-off {id} is already reversed or passed on", id=transaction_id)) from None

    async def share_cost(
        self, principal: Principal, contract_id: str, amount_cents: int, memo: str, cost_key_id: str, *, key: str
    ) -> Operation:
        """A cost of the contract (e.g. setup, training) split among its cities by a cost-sharing key.

        The catalog splits (equal, population, usage = each city's current holding, fixed shares; the
        remainder cents go deterministically, so the parts add up to the cent); one posting: the
        contract's account the whole amount, each city's its part.
        """
        contract, _ = await self._visible_contract(principal, contract_id)  # read again below: the holdings of now
        require_lead(principal, contract)
        if not 0 < amount_cents <= self._max_shared_cents:
            raise InvalidArgument.for_field(
                "amount_cents",
                Text(_SHARED_COST_LIMIT, max=Euros(self._max_shared_cents)),
            )
        if not memo.strip() or len(memo) > rules.MAX_TEXT:
            raise InvalidArgument.for_field(
                "memo", Text("say what the cost is, in at most {limit} characters", limit=rules.MAX_TEXT)
            )

        request = {"contract_id": contract_id, "amount_cents": amount_cents, "memo": memo, "key": cost_key_id}
        # The split is asked of the catalog outside the transaction (no lock is held across a remote
        # call), so a retry is answered first, before the split is asked again.
        async with self._sessions() as session:
            digest = idempotency.digest("shared_cost", request)
            earlier = await idempotency.earlier(session, principal, key, digest) if key else None
            if earlier is not None:
                return await self._operation(earlier, replayed=True)
            contract = await self._usable_contract(session, contract_id)
            quotas = (await repository.quotas_of(session, [contract_id]))[contract_id]
        holdings_now = {q.city_id: q.holding for q in quotas}
        parts = await self._catalog.split_cost(
            principal, cost_key_id or contract.cost_key_id, amount_cents,
            {city: held for city, held in holdings_now.items() if held > 0}, sorted(holdings_now),
        )  # fmt: skip
        outside = sorted(set(parts) - set(holdings_now))
        if outside:  # the catalog refuses such a split already; no posting ever charges a non-party
            raise InvalidArgument.for_field(
                "cost_key_id",
                Text(
                    "the split charges cities that are not parties to contract {contract}: {cities}",
                    contract=contract.reference or contract_id,
                    cities=", ".join(outside),
                ),
            )
        await references.require_active(self._catalog, references.cities("cost_key_id", sorted(parts)))

        async def perform(session: AsyncSession, operation_id: str) -> Operation:
            now = utc_now()
            transaction = LedgerTransaction(
                id=time_ordered_id(), operation_id=operation_id, kind="shared_cost", contract_id=contract.id,
                memo=memo.strip(), reverses_id=None, created_by=principal.username, created_at=now,
            )  # fmt: skip
            amounts = {rules.account("contract", contract.id, ""): amount_cents} | {
                rules.city_account(city): -part for city, part in parts.items() if part}  # fmt: skip
            assert sum(amounts.values()) == 0, amounts
            entries = [LedgerEntry(transaction_id=transaction.id, account=name, amount_cents=cents, posted_at=now)
                       for name, cents in sorted(amounts.items())]  # fmt: skip
            await repository.insert_rows(await session.connection(), [transaction], entries)
            booking = Booking("shared_cost", "", contract.reference, contract.name, 0, transaction.memo, "")
            return Operation(operation_id, "shared_cost", contract, [], transaction, entries, booking=booking)

        return await self._posting_once(principal, key, "shared_cost", request, perform)

    async def post_call_off(
        self, connection: AsyncConnection, principal: Principal, contract: Contract, city_id: str, quantity: int,
        unit_price_cents: int, *, memo: str,
    ) -> Operation:  # fmt: skip
        """A call-off inside the caller's transaction at a price of its own (a mini-competition's offer, never above
        the contract's), under the same guards as every call-off; raises Refused (explain says why)."""
        assert 0 < unit_price_cents <= contract.unit_price_cents
        return await self._move(connection, principal, time_ordered_id(), contract, [("call_off", city_id, quantity)],
                                memo=memo, step_amounts=[quantity * unit_price_cents])  # fmt: skip

    # -- reading ---------------------------------------------------------------------------

    async def utilisation(self, principal: Principal, contract_id: str) -> Utilisation:
        city = city_in_reach(principal, "")
        async with self._sessions() as session:
            contract = await repository.get_contract(session, contract_id)
            quotas = (await repository.quotas_of(session, [contract_id]))[contract_id]
        if contract is None or (city and all(q.city_id != city for q in quotas)):
            raise NotFound(Text("contract {id} does not exist", id=contract_id))
        return Utilisation(contract, [q for q in quotas if not city or q.city_id == city])

    async def transactions(
        self, principal: Principal, *, contract_id: str, city_id: str, limit: int, cursor: str, reference: str = ""
    ) -> Page[Posting]:
        """Postings, newest last; city users see those touching their own city's account, and of each only
        their own city's leg and the contract's side (contract, pool): never another city's leg or amount."""
        city = city_in_reach(principal, city_id)
        account = rules.city_account(city) if city else None
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            page = window.close(
                await repository.transactions_after(
                    session, window.after, window.fetch, contract_id, account, numbering.normalised(reference)
                ),
                lambda t: t.id,
            )
            entries = await repository.entries_of(session, [t.id for t in page.records])
            facts = await bookings(session, [t.id for t in page.records], city)

        def visible(entry: LedgerEntry) -> bool:  # the one rule of whose numbers a caller sees
            city = rules.city_of_account(entry.account)
            return city is None or principal.sees_city(city)

        postings = [Posting(t, [e for e in entries.get(t.id, []) if visible(e)], facts.get(t.id)) for t in page.records]
        return Page(postings, page.next_cursor)

    # -- shared steps ----------------------------------------------------------------------

    async def _moving(
        self,
        principal: Principal,
        key: str,
        operation: str,
        request: dict[str, object],
        contract_id: str,
        steps: list[tuple[str, str, int]],
        *,
        license_only: bool,
        authorize: Callable[[Contract], None] | None = None,
        parties: Mapping[str, str] | None = None,
        reverses: LedgerTransaction | None = None,
        memo: str = "",
        step_amounts: Sequence[int] | None = None,
    ) -> Operation:
        """Movements of one contract: checked against the counters as read, then done under the guards.

        Who asks and for whom is checked on the same reading, before anything is written: a caller who may
        not see the contract finds it missing; then `authorize` (the caller may act on it), and each city of
        `parties` (field -> city, an active member by now) must hold a quota in the contract.
        """
        cities = sorted({city for _, city, _ in steps} | ({principal.city} if principal.city else set()))

        def check(contract: Contract | None, held: Collection[str]) -> Contract:
            """Who asks, for whom, on what: the same rules on both paths."""
            if contract is None or not may_see_contract(principal, contract, held):
                raise NotFound(Text("contract {id} does not exist", id=contract_id))
            if authorize is not None:
                authorize(contract)
            if parties is not None:
                require_parties(contract, held, parties)
            _check_usable(contract, license_only=license_only, active=reverses is None)
            return contract

        if self._one_statement is not None and len(steps) == 1 and reverses is None and step_amounts is None:
            return await self._moving_in_one_statement(principal, key, operation, request, contract_id, steps[0],
                                                       check, memo)  # fmt: skip

        async def perform(session: AsyncSession, operation_id: str) -> Operation:
            connection = await session.connection()
            read = await holdings.read_counters(connection, contract_id, cities)
            contract = check(read[0] if read else None, read[1].quotas.keys() if read else ())
            assert read is not None
            counters = read[1]
            misfit = holdings.first_misfit(counters, steps)
            if misfit is not None:  # refused as of this reading, before any lock is taken
                raise Refused(contract_id, *misfit)
            return await self._move(
                connection,
                principal,
                operation_id,
                contract,
                steps,
                reverses=reverses,
                memo=memo,
                step_amounts=step_amounts,
            )

        return await self._posting_once(principal, key, operation, request, perform)

    async def _moving_in_one_statement(
        self,
        principal: Principal,
        key: str,
        operation: str,
        request: dict[str, object],
        contract_id: str,
        step: tuple[str, str, int],
        check: Callable[[Contract | None, Collection[str]], Contract],
        memo: str,
    ) -> Operation:
        """_moving of one step on PostgreSQL: the rules on the contract's terms as kept (read again when they do not
        hold, or when the statement finds them changed), then one statement (one_statement.py)."""
        assert self._one_statement is not None
        request_digest = idempotency.digest(operation, request)
        for _ in range(idempotency.RETRIES):
            terms = await self._one_statement.terms(contract_id)
            try:
                contract = check(terms.contract if terms else None, terms.parties if terms else ())
            except (NotFound, PermissionDenied, InvalidArgument, StateConflict):
                terms = await self._one_statement.terms(contract_id, fresh=True)  # kept terms may be old: ask now
                try:
                    contract = check(terms.contract if terms else None, terms.parties if terms else ())
                except (NotFound, PermissionDenied, InvalidArgument, StateConflict):
                    # A retry of a request done before answers its result, as on the transaction path.
                    earlier = await idempotency.earlier_of(self._sessions, principal, key, request_digest)
                    if earlier is not None:
                        return await self._with_booking(await self._operation(earlier, replayed=True))
                    raise
            operation_id = time_ordered_id()
            records = _records(principal, operation_id, contract, [step], memo=memo)
            step_kind, city_id, quantity = step
            move = Move(principal.user_id, key, operation, request_digest, contract, records.transaction,
                        records.movements[0], records.entries, numbered=step_kind in CALL_OFF_KINDS)  # fmt: skip
            try:
                reference = await self._one_statement.move(move)
            except Stale:
                continue
            except LimitReached:
                raise await self.explain(Refused(contract_id, step_kind, city_id, quantity)) from None
            except IntegrityError as error:
                first = await idempotency.earlier_of(self._sessions, principal, key, request_digest)
                if first is not None and integrity_violation(error) == "unique":
                    return await self._with_booking(await self._operation(first, replayed=True))
                raise
            booking = Booking(records.transaction.kind, reference, contract.reference, contract.name, quantity,
                              records.transaction.memo, "")  # fmt: skip
            return Operation(operation_id, records.transaction.kind, contract, records.movements, records.transaction,
                             records.entries, booking=booking)  # fmt: skip
        raise StateConflict(Text(_CHANGED_MEANWHILE, id=contract_id), "active")

    async def _with_booking(self, done: Operation) -> Operation:
        """The operation with what it was, read from its stored facts when not known yet (a replay, a reversal)."""
        if done.booking is not None:
            return done
        async with self._sessions() as session:
            facts = await bookings(session, [done.transaction.id])
        return replace(done, booking=facts.get(done.transaction.id))

    async def _posting_once(
        self,
        principal: Principal,
        key: str,
        operation: str,
        request: dict[str, object],
        perform: Callable[[AsyncSession, str], Awaitable[Operation]],
    ) -> Operation:
        """Once per key (idempotency.once): what it did, or, replayed, what the first request did."""
        try:
            operation_id, done, replayed = await idempotency.once(
                self._sessions, principal, key, operation, request, perform
            )
        except Refused as refusal:  # rolled back by now: what is left is read as others see it
            raise await self.explain(refusal) from None
        if replayed or done is None:
            done = await self._operation(operation_id, replayed=replayed)
        return await self._with_booking(done)

    async def _move(
        self,
        connection: AsyncConnection,
        principal: Principal,
        operation_id: str,
        contract: Contract,
        steps: Sequence[tuple[str, str, int]],
        *,
        reverses: LedgerTransaction | None = None,
        memo: str = "",
        step_amounts: Sequence[int] | None = None,
    ) -> Operation:
        """Record the movements and one balanced posting (_records), then apply the guarded changes.

        The records go in first and the contract row (which every city's call-off changes) is
        updated last, so its row lock is held for the shortest time. Locks are taken in one order:
        the cities' quota rows by city id, then (a framework with several vendors) the city's framework quota and
        the framework, then the contract row.
        """
        records = _records(principal, operation_id, contract, steps, reverses=reverses, memo=memo,
                           step_amounts=step_amounts)  # fmt: skip
        transaction, movements, entries = records.transaction, records.movements, records.entries
        numbers = []
        if transaction.kind in CALL_OFF_KINDS:  # numbered per calling city and year; the first lock it takes
            city_id = steps[0][1]
            reference = await numbering.next_reference(connection, ReferenceCounters, "call_off", city_id,
                                                       transaction.created_at)  # fmt: skip
            numbers.append(CallOffNumber(transaction_id=transaction.id, reference=reference, city_id=city_id))
        await repository.insert_rows(connection, [transaction], movements, entries, numbers)
        for step_kind, city_id, quantity in sorted(steps, key=lambda step: step[1]):
            column = holdings.EFFECTS[step_kind].quota_column
            if not await holdings.change_quota(connection, contract.id, city_id, column, quantity):
                raise Refused(contract.id, step_kind, city_id, quantity)
        for movement in movements if contract.framework_id else []:  # after the quota rows: the same lock order
            if movement.kind == "call_off" and not await holdings.call_off_framework(
                connection, contract.framework_id, movement.city_id, movement.quantity, movement.amount_cents
            ):
                raise Refused(contract.id, movement.kind, movement.city_id, movement.quantity)
        for column, delta in records.contract_deltas.items():
            if delta and not await holdings.change_contract(
                connection, contract.id, column, delta, contract.unit_price_cents
            ):
                step_kind, city_id, quantity = steps[0]
                raise Refused(contract.id, step_kind, city_id, quantity, contract.unit_price_cents)
        booking = None
        if reverses is None:  # what it was, known here (a reversal's text names the original's number: read later)
            quantity = max((abs(m.quantity) for m in movements), default=0)
            number = numbers[0].reference if numbers else ""
            booking = Booking(transaction.kind, number, contract.reference, contract.name, quantity, transaction.memo,
                              "")  # fmt: skip
        return Operation(operation_id, transaction.kind, contract, movements, transaction, entries, booking=booking)

    async def explain(self, refusal: Refused) -> StateConflict:
        """Why a guarded change was refused, with what is left (read after the rollback, as others see it)."""
        kind, city_id, quantity = refusal.kind, refusal.city_id, refusal.quantity
        async with self._sessions() as session:
            current = await session.get(Contract, refusal.contract_id)
            use = await self._quota_row(session, refusal.contract_id, city_id)
        assert current is not None
        if refusal.unit_price_cents is not None and refusal.unit_price_cents != current.unit_price_cents:
            return StateConflict(Text(_PRICE_CHANGED, price=Euros(current.unit_price_cents)), "active")
        if use is None:
            return StateConflict(
                Text(
                    "{city} has no quota in contract {contract} ({sku})",
                    city=city_id,
                    contract=current.reference or current.id,
                    sku=current.sku,
                ),
                "active",
            )
        left = current.ceiling_quantity - current.called_off
        if quantity < 0:
            return StateConflict(
                Text(
                    "the posting cannot be reversed: {city} holds {holding}, the pool {pool}",
                    city=city_id,
                    holding=use.holding,
                    pool=current.in_pool,
                ),
                "active",
            )
        reasons = {
            "call_off": Text(
                _QUOTA_LEFT,
                city=city_id,
                left=use.quota_left,
                quota=use.quantity,
                contract_left=left,
                ceiling=current.ceiling_quantity,
                value=Euros(left * current.unit_price_cents),
            ),
            "take": Text("the pool holds {count} seats", count=current.in_pool),
            "return": Text("{city} holds {count}", city=city_id, count=use.holding),
            "move_out": Text("{city} holds {count}", city=city_id, count=use.holding),
            "move_in": Text("{city} cannot take them", city=city_id),
        }
        reason = reasons[kind]
        if current.framework_id and kind == "call_off":  # the framework's quota and maximum hold for all vendors
            reason = await self._framework_left(current, city_id)
        verb = Text(_VERBS[kind])
        return StateConflict(
            Text("{quantity} cannot be {verb}: {reason}", quantity=quantity, verb=verb, reason=reason), "active"
        )

    async def _shift_quota_row(
        self, session: AsyncSession, contract_id: str, city_id: str, delta: int, quantity: int, joining: str
    ) -> None:
        if not await self._quota_row(session, contract_id, city_id):
            if city_id != joining:  # a party when checked, and quota rows are never removed
                raise StateConflict(
                    Text("{city} has no quota in contract {contract}", city=city_id, contract=contract_id), "active"
                )
            session.add(ContractQuota(contract_id=contract_id, city_id=city_id, quantity=0, called_off=0, returned=0,
                                      taken=0))  # fmt: skip
            await session.flush()
        if not await holdings.shift_quota(await session.connection(), contract_id, city_id, delta):
            raise await self._unshiftable(session, contract_id, city_id, quantity)

    async def _unshiftable(
        self, session: AsyncSession, contract_id: str, city_id: str, quantity: int, framework_id: str = ""
    ) -> StateConflict:
        """Why the quota cannot be shifted: what the city has not called off of it (in a framework with several
        vendors: from all of them together)."""
        if framework_id:
            quota = await session.get(FrameworkQuota, (framework_id, city_id), populate_existing=True)
            assert quota is not None
            left, size = quota.quantity - quota.called_off, quota.quantity
        else:
            use = await self._quota_row(session, contract_id, city_id)
            assert use is not None
            left, size = use.quota_left, use.quantity
        return StateConflict(
            Text(
                "{city} has {left} unused of its quota of {quota}; {quantity} cannot be shifted",
                city=city_id,
                left=left,
                quota=size,
                quantity=quantity,
            ),
            "active",
        )

    async def _framework_left(self, contract: Contract, city_id: str) -> Text:
        """What a framework with several vendors has left for the city and in all, as a refusal's reason."""
        async with self._sessions() as session:
            found = await repository.frameworks_of(session, [contract.framework_id])
        framework, quotas = found[contract.framework_id]
        quota = next((q for q in quotas if q.city_id == city_id), None)
        quota_left, quota_size = (quota.quantity - quota.called_off, quota.quantity) if quota else (0, 0)
        return Text(
            _FRAMEWORK_LEFT,
            city=city_id,
            left=quota_left,
            quota=quota_size,
            framework_left=framework.max_quantity - framework.called_off,
            max=framework.max_quantity,
            value=Euros(framework.max_value_cents - framework.called_off_value_cents),
        )

    async def _quota_row(self, session: AsyncSession, contract_id: str, city_id: str) -> ContractQuota | None:
        return await session.get(ContractQuota, (contract_id, city_id), populate_existing=True)

    async def _usable_contract(self, session: AsyncSession, contract_id: str) -> Contract:
        contract = await session.get(Contract, contract_id)
        if contract is None:
            raise NotFound(Text("contract {id} does not exist", id=contract_id))
        _check_usable(contract, license_only=False, active=True)
        return contract

    async def _operation(self, operation_id: str, replayed: bool) -> Operation:
        async with self._sessions() as session:
            transaction, movements = await repository.operation_records(session, operation_id)
            contract = await session.get(Contract, transaction.contract_id)
            entries = (await repository.entries_of(session, [transaction.id])).get(transaction.id, [])
        assert contract is not None
        return Operation(operation_id, transaction.kind, contract, movements, transaction, entries, replayed)

    async def _visible_contract(self, principal: Principal, contract_id: str) -> tuple[Contract, list[ContractQuota]]:
        """The contract and its quotas; NotFound, word for word as for a missing one, when the caller may not see it
        (a city without a quota in it, another vendor), whatever the operation."""
        async with self._sessions() as session:
            return await visible_contract(session, principal, contract_id)


def _check_city_actor(principal: Principal, city_id: str, contract: Contract | None = None) -> None:
    """A city's IT acts for its own city; a lead of the lead city for any (without the contract: a lead at all)."""
    if principal.has_any_role([Role.CITY_IT]) and principal.city == city_id:
        return
    if principal.has_any_role([Role.PROCUREMENT_LEAD]):
        if contract is not None:
            require_lead(principal, contract)
        return
    raise PermissionDenied(
        Text(
            "{user} may not call off for {city}: its city IT or a lead of the lead city may",
            user=principal.username,
            city=city_id,
        )
    )


def _check_first_in_cascade(contract: Contract) -> None:
    """A framework with several vendors is called off from its best-ranked vendor; the next one gets a call-off only
    when it is passed on (pass_on) or won in a mini-competition (§ 21 (4) VgV: by the framework's own terms)."""
    if contract.framework_rank > 1:
        raise StateConflict(
            Text(
                _CASCADE_ORDER,
                vendor=contract.vendor_id,
                rank=contract.framework_rank,
                sku=contract.sku,
            ),
            "active",
        )


def is_usable(contract: Contract) -> bool:
    """Whether the contract takes call-offs today: active and within its term."""
    status = rules.effective_contract_status(contract.status, contract.ends_on, network_today())
    return status == ContractStatus.ACTIVE and network_today() >= contract.starts_on


def _check_usable(contract: Contract, *, license_only: bool, active: bool) -> None:
    status = rules.effective_contract_status(contract.status, contract.ends_on, network_today())
    if active and not is_usable(contract):
        raise StateConflict(
            Text(
                "contract {contract} runs from {starts} to {ends} and is {status}; call-offs need an active contract",
                contract=contract.reference or contract.id,
                starts=contract.starts_on,
                ends=contract.ends_on,
                status=Labels("contract", status.value),
            ),
            status.value,
        )
    if license_only and contract.kind != "license":
        raise StateConflict(
            Text(
                "{sku} is {kind}: only license seats go through the pool",
                sku=contract.sku,
                kind=Labels("kind", contract.kind),
            ),
            status,
        )


def _check_quantity(quantity: int) -> None:
    if not 0 < quantity <= rules.MAX_QUANTITY:
        raise InvalidArgument.for_field("quantity", Text("must be between 1 and {max:n}", max=rules.MAX_QUANTITY))
