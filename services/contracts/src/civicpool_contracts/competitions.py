"""Mini-competitions under a framework with several vendors (§ 21 (5) VgV).

A city's IT (for its own city) or a lead of the lead city (for several of the framework's cities) invites every
vendor of the framework to offer for concrete quantities by a short deadline. Until then the offers are sealed: a
vendor sees only its own, the buyers none (only that the deadline has not passed). An offer is a unit price no
higher than the vendor's framework price. Once due, the buyer decides: the offers are ranked by the framework's
criteria and weights (civicpool_common.scoring: the offered price, and each vendor's quality and data-protection
scores of the evaluation), and the best one becomes the call-offs, one per city, posted at the offered price in
the same transaction and under the same guards as every call-off (the city's framework quota, the framework's
maximum). Without an offer nothing is called off; the city calls off by the cascade instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from civicpool_common import notify, references, scoring
from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now
from civicpool_common.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Euros, Labels, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.vocabulary import MiniCompetitionStatus, PassOnCause
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency, repository, rules
from civicpool_contracts.access import may_see_contract, require_lead
from civicpool_contracts.clients import UsageCatalog
from civicpool_contracts.models import (
    Contract,
    Framework,
    FrameworkQuota,
    LedgerTransaction,
    MiniCompetition,
    MiniCompetitionOffer,
    NotificationOrder,
)
from civicpool_contracts.usage import Operation, Refused, UsageService, is_usable

MAX_OFFER_DAYS = 30  # a mini-competition's deadline is short: within a month
_QUOTA_SHORT = N_("{city} has {left} of its framework quota of {quota} left")
_ABOVE_FRAMEWORK = N_("must be at most {price}, your framework price: a mini-competition only lowers it")
_SEALED = N_("offers were due by {due}; late offers are refused")


@dataclass(frozen=True)
class CompetitionView:
    """A mini-competition as the caller may see it."""

    competition: MiniCompetition
    contract: Contract  # the framework's first contract: what is offered for (item, unit)
    quantities: dict[str, int]
    offers: list[MiniCompetitionOffer]
    offers_received: int  # once due; before, 0 for everyone
    winner_vendor_id: str
    call_off_ids: list[str]


class CompetitionService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: UsageCatalog, usage: UsageService) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._usage = usage

    async def start(
        self, principal: Principal, framework_id: str, quantities: Mapping[str, int], offers_due_at: dt.datetime,
        description: str, *, key: str,
    ) -> tuple[CompetitionView, bool]:  # fmt: skip
        """Invite the framework's vendors to offer for these cities' quantities by `offers_due_at`; whether the
        answer is a replay of an earlier request with the same key."""
        now = utc_now()
        violations = _request_violations(quantities, offers_due_at, description, now)
        if violations:
            raise InvalidArgument(Text("the mini-competition is not valid"), violations=violations)
        async with self._sessions() as session:
            framework, contracts, quotas = await self._framework(session, principal, framework_id)
        lead = principal.has_any_role([Role.PROCUREMENT_LEAD])
        if lead:
            require_lead(principal, contracts[0])
        elif not (principal.has_any_role([Role.CITY_IT]) and set(quantities) == {principal.city}):
            raise PermissionDenied(
                Text("a city's IT invites offers for its own city, a lead of the lead city for several")
            )
        await references.require_active(self._catalog, references.cities("quantities", sorted(quantities)))
        held = {q.city_id: q for q in quotas}
        outside = [FieldViolation(f"quantities.{city}", Text("{city} has no quota in the framework", city=city))
                   for city in sorted(quantities) if city not in held]  # fmt: skip
        if outside:
            raise InvalidArgument(outside[0].description, violations=outside)
        for city, quantity in sorted(quantities.items()):
            left = held[city].quantity - held[city].called_off
            if quantity > left:
                raise StateConflict(Text(_QUOTA_SHORT, city=city, left=left, quota=held[city].quantity), "active")
        if not any(is_usable(c) for c in contracts):
            raise StateConflict(Text("no contract of the framework is active: nothing can be called off"), "active")

        invited = [c.vendor_id for c in contracts if is_usable(c)]

        async def perform(session: AsyncSession, operation_id: str) -> None:
            values = {
                "item": contracts[0].name,
                "quantity": str(sum(quantities.values())),
                "offers_due_at": offers_due_at.isoformat(),
                "path": f"mini-competitions/{operation_id}",
            }
            session.add(notify.outbox_row(
                NotificationOrder, f"contracts/mini-competition/{operation_id}/invited", "mini_competition_invited",
                [notify.audience(role=Role.VENDOR.value, vendor_id=vendor) for vendor in invited], values,
            ))  # fmt: skip
            session.add(MiniCompetition(
                id=operation_id, framework_id=framework.id, quantities=dict(sorted(quantities.items())),
                quantity=sum(quantities.values()), description=description.strip(), offers_due_at=offers_due_at,
                status=MiniCompetitionStatus.OPEN.value, created_by=principal.username, created_at=now,
                winner_contract_id="", unit_price_cents=0, call_off_ids={}, awarded_by="",
            ))  # fmt: skip

        request: dict[str, object] = {"framework_id": framework_id, "quantities": dict(quantities),
                                      "due": offers_due_at.isoformat(), "description": description}  # fmt: skip
        operation_id, _, replayed = await idempotency.once(
            self._sessions, principal, key, "mini_competition", request, perform
        )
        return await self.get(principal, operation_id), replayed

    async def submit_offer(
        self, principal: Principal, competition_id: str, unit_price_cents: int, note: str
    ) -> CompetitionView:
        """A vendor of the framework offers (or offers anew) before the deadline, at most at its framework price."""
        if len(note) > rules.MAX_TEXT:
            raise InvalidArgument.for_field("note", Text("must have at most {limit} characters", limit=rules.MAX_TEXT))
        vendor_id = principal.own_vendor() if principal.has_any_role([Role.VENDOR]) else ""
        async with self._sessions.begin() as session:
            competition = await session.get(MiniCompetition, competition_id, with_for_update=True)
            contracts = await repository.framework_contracts(session, competition.framework_id) if competition else []
            own = next((c for c in contracts if vendor_id and c.vendor_id == vendor_id), None)
            if competition is None or not self._may_see(principal, competition, contracts):
                raise NotFound(Text("mini-competition {id} does not exist", id=competition_id))
            if own is None:
                raise PermissionDenied(Text("only the framework's vendors offer"))
            now = utc_now()
            if competition.status != MiniCompetitionStatus.OPEN or now >= competition.offers_due_at:
                raise StateConflict(Text(_SEALED, due=competition.offers_due_at), competition.status)
            if not 0 < unit_price_cents <= own.unit_price_cents:
                raise InvalidArgument.for_field("unit_price_cents",
                                                Text(_ABOVE_FRAMEWORK, price=Euros(own.unit_price_cents)))  # fmt: skip
            if not is_usable(own):
                raise StateConflict(Text("your contract {contract} is not active", contract=own.reference), "active")
            offer = await session.get(MiniCompetitionOffer, (competition.id, own.id))
            if offer is None:
                offer = MiniCompetitionOffer(competition_id=competition.id, contract_id=own.id, vendor_id=vendor_id,
                                             rank=0, price_score_milli=0, total_score_milli=0)  # fmt: skip
                session.add(offer)
            offer.unit_price_cents, offer.note = unit_price_cents, note.strip()
            offer.submitted_by, offer.submitted_at = principal.username, now
        return await self.get(principal, competition_id)

    async def decide(self, principal: Principal, competition_id: str, *, key: str) -> tuple[CompetitionView, bool]:
        """Open the offers once due, rank them by the framework's weights, and call off at the best one's price."""
        async with self._sessions() as session:
            competition = await session.get(MiniCompetition, competition_id)
            contracts = await repository.framework_contracts(session, competition.framework_id) if competition else []
        if competition is None or not self._may_see(principal, competition, contracts):
            raise NotFound(Text("mini-competition {id} does not exist", id=competition_id))
        _check_buyer(principal, competition, contracts[0])

        async def perform(session: AsyncSession, operation_id: str) -> None:
            now = utc_now()
            claimed = await session.execute(
                update(MiniCompetition)
                .where(MiniCompetition.id == competition_id, MiniCompetition.status == MiniCompetitionStatus.OPEN,
                       MiniCompetition.offers_due_at <= now)
                .values(status=MiniCompetitionStatus.NO_OFFERS.value, awarded_by=principal.username, awarded_at=now)
            )  # fmt: skip
            locked = await session.get(MiniCompetition, competition_id, populate_existing=True)
            assert locked is not None
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise StateConflict(Text("mini-competition {id} is {status}; offers are due by {due}",
                                         id=competition_id, status=Labels("mini_competition", locked.status),
                                         due=locked.offers_due_at),
                                    locked.status)  # fmt: skip
            offers = list((await session.scalars(
                select(MiniCompetitionOffer).where(MiniCompetitionOffer.competition_id == competition_id)
            )).all())  # fmt: skip
            if not offers:
                session.add(_decided(locked, contracts[0], "no_offers", buyers=True))
                return
            framework = await session.get(Framework, locked.framework_id)
            assert framework is not None
            by_contract = {c.id: c for c in contracts}
            ranked = _rank(locked, framework, by_contract, offers)
            winner = by_contract[ranked[0].contract_id]
            connection = await session.connection()
            call_offs = {}
            for city, quantity in sorted(locked.quantities.items()):
                call_off = await self._usage.post_call_off(
                    connection, principal, winner, city, quantity, ranked[0].unit_price_cents,
                    memo=f"mini-competition {competition_id}",
                )  # fmt: skip
                call_offs[city] = call_off.transaction.id
            locked.status = MiniCompetitionStatus.AWARDED.value
            locked.winner_contract_id, locked.unit_price_cents = winner.id, ranked[0].unit_price_cents
            locked.call_off_ids = call_offs
            session.add(_decided(locked, winner, "called_off", buyers=True))
            session.add_all(_decided(locked, winner, "won" if offer.contract_id == winner.id else "lost",
                                     vendor_id=offer.vendor_id) for offer in ranked)  # fmt: skip

        try:
            _, _, replayed = await idempotency.once(
                self._sessions, principal, key, "mini_competition_decision", {"id": competition_id}, perform
            )
        except Refused as refusal:  # rolled back: nothing was called off, the competition is still open
            raise await self._usage.explain(refusal) from None
        return await self.get(principal, competition_id), replayed

    async def pass_on(
        self, principal: Principal, transaction_id: str, cause: PassOnCause, reason: str, *, key: str
    ) -> Operation:
        """A call-off passed on (UsageService.pass_on): one a mini-competition made goes to its next offer at the
        offered price; any other along the framework's cascade. Whether the caller may is checked there."""
        offers = None
        async with self._sessions() as session:
            original = await session.get(LedgerTransaction, transaction_id)
            contract = await session.get(Contract, original.contract_id) if original and original.contract_id else None
            if contract is not None and contract.framework_id:
                root = await repository.cascade_root(session, transaction_id)
                offers = await repository.ranked_offers_calling_off(session, contract.framework_id, root) or None
        return await self._usage.pass_on(principal, transaction_id, cause, reason, key=key, offers=offers)

    async def get(self, principal: Principal, competition_id: str) -> CompetitionView:
        async with self._sessions() as session:
            competition = await session.get(MiniCompetition, competition_id)
            contracts = await repository.framework_contracts(session, competition.framework_id) if competition else []
            if competition is None or not self._may_see(principal, competition, contracts):
                raise NotFound(Text("mini-competition {id} does not exist", id=competition_id))
            return await self._view(session, principal, competition, contracts)

    async def of_framework(
        self, principal: Principal, framework_id: str, limit: int, cursor: str
    ) -> Page[CompetitionView]:
        """The framework's mini-competitions the caller may see, oldest first."""
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            framework, contracts, _ = await self._framework(session, principal, framework_id)
            query = select(MiniCompetition).where(MiniCompetition.framework_id == framework.id)
            if window.after is not None:
                query = query.where(MiniCompetition.id > window.after)
            found = (await session.scalars(query.order_by(MiniCompetition.id))).all()
            seen = [c for c in found if self._may_see(principal, c, contracts)][: window.fetch]
            page = window.close(seen, lambda c: c.id)
            views = [await self._view(session, principal, c, contracts) for c in page.records]
        return Page(views, page.next_cursor)

    # -- shared steps ----------------------------------------------------------------------

    async def _framework(
        self, session: AsyncSession, principal: Principal, framework_id: str
    ) -> tuple[Framework, list[Contract], list[FrameworkQuota]]:
        """The framework, its contracts (rank order) and its quotas; NotFound, as for a missing one, when the caller
        may see none of its contracts."""
        found = await repository.frameworks_of(session, [framework_id])
        contracts = await repository.framework_contracts(session, framework_id) if found else []
        if not contracts:
            raise NotFound(Text("framework {id} does not exist", id=framework_id))
        framework, quotas = found[framework_id]
        if not _may_see_framework(principal, contracts, {q.city_id for q in quotas}):
            raise NotFound(Text("framework {id} does not exist", id=framework_id))
        return framework, contracts, quotas

    @staticmethod
    def _may_see(principal: Principal, competition: MiniCompetition, contracts: Sequence[Contract]) -> bool:
        """As a framework's contracts are seen, the parties being the cities that call off in the competition."""
        return _may_see_framework(principal, contracts, competition.quantities)

    async def _view(
        self, session: AsyncSession, principal: Principal, competition: MiniCompetition, contracts: list[Contract]
    ) -> CompetitionView:
        offers = list((await session.scalars(
            select(MiniCompetitionOffer).where(MiniCompetitionOffer.competition_id == competition.id)
            .order_by(MiniCompetitionOffer.rank, MiniCompetitionOffer.contract_id)
        )).all())  # fmt: skip
        due = utc_now() >= competition.offers_due_at
        vendor = principal.vendor if principal.has_any_role([Role.VENDOR]) else ""
        # Sealed from every other vendor always, from the buyers until the deadline.
        shown = [o for o in offers if o.vendor_id == vendor] if vendor else (offers if due else [])
        winner = next((c.vendor_id for c in contracts if c.id == competition.winner_contract_id), "")
        return CompetitionView(
            competition=competition,
            contract=contracts[0],
            quantities={city: q for city, q in competition.quantities.items() if principal.sees_city(city)},
            offers=shown,
            offers_received=len(offers) if due else 0,
            winner_vendor_id=winner,
            call_off_ids=[t for city, t in sorted(competition.call_off_ids.items()) if principal.sees_city(city)],
        )


def _may_see_framework(principal: Principal, contracts: Sequence[Contract], parties: Collection[str]) -> bool:
    """access.may_see_contract for the framework as a whole: a vendor sees it through any contract of its own."""
    if principal.has_any_role([Role.VENDOR]):
        return principal.vendor in {c.vendor_id for c in contracts}
    return may_see_contract(principal, contracts[0], parties)


def _rank(
    competition: MiniCompetition,
    framework: Framework,
    contracts: Mapping[str, Contract],
    offers: Sequence[MiniCompetitionOffer],
) -> list[MiniCompetitionOffer]:
    """The offers ranked by the framework's weights (the offered price for the whole quantity; each vendor's
    quality and data protection as evaluated), best first, with their ranks and scores recorded on them."""
    weights = scoring.Weights(framework.price_weight, framework.quality_weight, framework.data_protection_weight)
    candidates = [
        scoring.Candidate(o.contract_id, o.vendor_id, o.unit_price_cents * competition.quantity,
                          contracts[o.contract_id].quality_score, contracts[o.contract_id].data_protection_score)
        for o in offers
    ]  # fmt: skip
    by_contract = {o.contract_id: o for o in offers}
    ranked = []
    for scored in scoring.rank_lot(competition.id, candidates, weights):
        offer = by_contract[scored.candidate.bid_id]
        offer.rank, offer.price_score_milli, offer.total_score_milli = (
            scored.rank, scored.price_score_milli, scored.total_milli,
        )  # fmt: skip
        ranked.append(offer)
    return ranked


def _decided(
    competition: MiniCompetition, contract: Contract, variant: str, *, buyers: bool = False, vendor_id: str = ""
) -> NotificationOrder:
    """The e-mail event of a decision: for the cities that called off (their IT), or for one offering vendor."""
    audiences = ([notify.audience(role=Role.CITY_IT.value, city_id=city) for city in sorted(competition.quantities)]
                 if buyers else [notify.audience(role=Role.VENDOR.value, vendor_id=vendor_id)])  # fmt: skip
    values = {"item": contract.name, "quantity": str(competition.quantity), "variant": variant,
              "path": f"mini-competitions/{competition.id}"}  # fmt: skip
    whom = "cities" if buyers else vendor_id
    row: NotificationOrder = notify.outbox_row(
        NotificationOrder, f"contracts/mini-competition/{competition.id}/decided/{whom}", "mini_competition_decided",
        audiences, values,
    )  # fmt: skip
    return row


def _request_violations(
    quantities: Mapping[str, int], offers_due_at: dt.datetime, description: str, now: dt.datetime
) -> list[FieldViolation]:
    found = [FieldViolation(f"quantities.{city}", Text("must be between 1 and {max:n}", max=rules.MAX_QUANTITY))
             for city, quantity in sorted(quantities.items()) if not 0 < quantity <= rules.MAX_QUANTITY]  # fmt: skip
    if not quantities:
        found.append(FieldViolation("quantities", Text("name at least one city and its quantity")))
    if not now < offers_due_at <= now + dt.timedelta(days=MAX_OFFER_DAYS):
        found.append(FieldViolation("offers_due_at", Text("must lie in the future, at most {days} days ahead",
                                                          days=MAX_OFFER_DAYS)))  # fmt: skip
    if len(description) > rules.MAX_TEXT:
        found.append(FieldViolation("description", Text("must have at most {limit} characters", limit=rules.MAX_TEXT)))
    return found


def _check_buyer(principal: Principal, competition: MiniCompetition, contract: Contract) -> None:
    """A lead of the lead city decides any; a city's IT one that calls off for its city."""
    if principal.has_any_role([Role.CITY_IT]) and principal.city in competition.quantities:
        return
    if principal.has_any_role([Role.PROCUREMENT_LEAD]):
        require_lead(principal, contract)
        return
    raise PermissionDenied(Text("the city that invited the offers, or a lead of the lead city, decides"))
