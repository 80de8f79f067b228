"""Tender use cases: rules, permissions and transactions (who sees what: see access.py).

An award writes its contract order (the outbox, models.AwardOrder) in its own transaction; the relay
(relay.py) delivers it to the contracts service at once and again until it is confirmed.

Every check uses the verified caller, whatever the gateway sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Container, Mapping, Sequence
from typing import Any

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_common import lifecycle, notify, numbering, references, scoring
from civicpool_common.auth import Principal, Role
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
    VersionConflict,
)
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.money import MAX_CENTS
from civicpool_common.paging import Page, PageWindow
from civicpool_common.references import Kind, Reference
from civicpool_common.timestamps import network_today, to_timestamp
from civicpool_common.vocabulary import (
    BidStatus,
    Procedure,
    RoundStatus,
    TenderStatus,
)
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from civicpool_tenders import deadlines, ocds, repository, rules
from civicpool_tenders.access import (
    active_vendor,
    lead_tender,
    require_bid_reader,
    tender_scope,
    vendor_only,
    visible_tender,
)
from civicpool_tenders.awarding import AwardDecision, ScoreInput, awarded_bids, check_decisions, score_rows
from civicpool_tenders.bids import (
    BidDraft,
    BidView,
    bid_prices,
    bid_view,
    check_bid,
    fill_bid,
    quantities_by_lot,
)
from civicpool_tenders.clients import Catalog, DemandRounds, RoundInfo
from civicpool_tenders.lots import LotGroup, LotPlan, add_lots, form_lots
from civicpool_tenders.models import (
    Bid,
    Lot,
    LotItem,
    LotShare,
    NotificationOrder,
    ReferenceCounters,
    Tender,
    TenderEvent,
)
from civicpool_tenders.procedure import ValueLimits, recommend
from civicpool_tenders.relay import Awardee, AwardRelay, order_item
from civicpool_tenders.rules import ContractTerm
from civicpool_tenders.standstill import information_notices
from civicpool_tenders.views import EvaluationView, LotView, TenderView

log = logging.getLogger("civicpool.contracts")
MAX_DESCRIPTION = 4000


_STANDSTILL_REQUIRED = N_(
    "at or above the EU threshold the standstill of § 134 GWB applies; it is switched on or off only below it"
)
_QUESTIONS_ONLY_LATER = N_(
    "after publication the time for questions can only be extended (now until {current}); vendors plan by it"
)
_NOT_CONFIRMED = N_(
    "the demand service did not confirm that round {round} is bundled; tender {tender} is kept as a draft: send the same request again to finish"  # noqa: E501
)


class TendersService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        demand: DemandRounds,
        catalog: Catalog,
        limits: ValueLimits,
        relay: AwardRelay,
        public_holidays: Container[dt.date] = frozenset(),
    ) -> None:
        self._sessions = sessions
        self._demand = demand
        self._catalog = catalog
        self._limits = limits
        self._relay = relay
        self._holidays = public_holidays  # where the network is: they end a period falling on one

    # -- tenders ---------------------------------------------------------------------------

    async def create_tender(
        self, principal: Principal, round_id: str, title: str, description: str, groups: Sequence[LotGroup]
    ) -> TenderView:
        """A draft tender from a closed round of the lead's city; the round becomes bundled."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        if principal.city is None:
            raise PermissionDenied(Text("{user} belongs to no city, so cannot lead a tender", user=principal.username))
        round_ = await self._demand.get_round(principal, round_id)
        if round_.owner_city_id != principal.city:
            raise PermissionDenied(
                Text(
                    "only a procurement lead of {city}, which owns the round, may change it", city=round_.owner_city_id
                )
            )
        async with self._sessions() as session:
            existing = await repository.tender_of_round(session, round_id)
        if existing is not None and existing.status == TenderStatus.CANCELLED and round_.status == RoundStatus.CLOSED:
            await self._forget_draft(existing.id)  # a draft left by a failed create, then cancelled: start anew
            existing = None
        if existing is not None:  # a repeated call, or one that stopped before the round was bundled
            return await self._finish_bundling(principal, round_id, existing.id)
        if round_.status != RoundStatus.CLOSED:
            raise StateConflict(
                Text(
                    "the demand round is {status}; only a closed round can become a tender",
                    status=Labels("round", round_.status.value),
                ),
                round_.status.value,
            )
        demand = [d for d in await self._demand.demand_by_item(principal, round_id) if d.quantity > 0]
        if not demand:
            raise StateConflict(Text("the demand round has no demand to tender"), round_.status.value)
        cities = sorted({city for d in demand for city in d.shares})
        await references.require_active(
            self._catalog,
            [Reference("round_id", Kind.ITEM, d.item_id) for d in demand] + references.cities("round_id", cities),
        )
        items = await self._catalog.items(principal, [d.item_id for d in demand])
        lots = form_lots(demand, items, groups)
        tender = self._new_tender(principal, round_, title, description, lots)
        try:
            async with write_transaction(self._sessions) as session:
                tender.reference = await numbering.next_reference(
                    await session.connection(), ReferenceCounters, "tender", tender.lead_city_id, tender.created_at
                )
                session.add(tender)
                await session.flush()
                add_lots(session, tender, lots)
                session.add(_event(tender, "created", principal, tender.recommendation_reason))
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise
            async with self._sessions() as session:  # the same request, sent twice at once, won the race
                existing = await repository.tender_of_round(session, round_id)
            if existing is None:
                raise
            return await self._finish_bundling(principal, round_id, existing.id)
        try:
            await self._demand.bundle(principal, round_id, tender.id)
        except Unavailable:
            # The round may or may not be bundled now: keep the draft, a retry finishes the job.
            raise Unavailable(Text(_NOT_CONFIRMED, round=round_id, tender=tender.id)) from None
        except (FailedPrecondition, PermissionDenied, NotFound, InvalidArgument):
            now_round = await self._demand.get_round(principal, round_id)
            if now_round.tender_id == tender.id:  # a concurrent retry bundled it into this very tender
                return await self.get_tender(principal, tender.id)
            await self._forget_draft(tender.id)  # the demand service refused: the round stays as it was
            raise
        except DomainError:  # any other failure: the outcome is unknown, so the draft stays for a retry
            log.warning("bundling round %s into tender %s failed; the draft is kept", round_id, tender.id)
            raise
        return await self.get_tender(principal, tender.id)

    async def _round_bundled_into(self, principal: Principal, tender_id: str) -> None:
        """Before publishing: the tender's round is bundled into it (a create that failed half-way is finished)."""
        async with self._sessions() as session:
            tender = await repository.get_tender(session, tender_id)
        if tender is None or tender.status != TenderStatus.DRAFT:
            return  # the transition itself answers
        round_ = await self._demand.get_round(principal, tender.round_id)
        if round_.tender_id == tender.id:
            return
        if round_.status != RoundStatus.CLOSED:
            raise StateConflict(
                Text(
                    "demand round {round} is {status} and not bundled into this tender; cancel the draft",
                    round=round_.id,
                    status=Labels("round", round_.status.value),
                ),
                tender.status,
            )
        await self._demand.bundle(principal, round_.id, tender.id)

    async def _finish_bundling(self, principal: Principal, round_id: str, tender_id: str) -> TenderView:
        """The tender made from the round before; the round bundled into it if that did not happen yet."""
        round_ = await self._demand.get_round(principal, round_id)
        if round_.status == RoundStatus.CLOSED:
            try:
                await self._demand.bundle(principal, round_id, tender_id)
            except FailedPrecondition:  # a concurrent call bundled it a moment ago
                round_ = await self._demand.get_round(principal, round_id)
        if round_.status != RoundStatus.CLOSED and round_.tender_id != tender_id:
            raise AlreadyExists(
                Text(
                    "demand round {round} cannot become tender {tender}: it is {status}",
                    round=round_id,
                    tender=tender_id,
                    status=Labels("round", str(round_.status)),
                )
            )
        return await self.get_tender(principal, tender_id)

    def _new_tender(
        self, principal: Principal, round_: RoundInfo, title: str, description: str, lots: list[LotPlan]
    ) -> Tender:
        estimated = sum(lot.estimated_cents for lot in lots)
        if estimated > MAX_CENTS:
            raise FailedPrecondition(Text("the estimated value is beyond what can be counted; check reference prices"))
        advice = recommend(estimated, self._limits)
        now = utc_now()
        cities = sorted({city for lot in lots for _, _, shares in lot.items for city in shares})
        title = title.strip() or round_.title
        if len(title) > 200:
            raise InvalidArgument.for_field("title", Text("must have at most {limit} characters", limit=200))
        if len(description) > MAX_DESCRIPTION:
            raise InvalidArgument.for_field(
                "description", Text("must have at most {limit} characters", limit=MAX_DESCRIPTION)
            )
        return Tender(
            id=time_ordered_id(),
            title=title,
            description=description.strip(),
            lead_city_id=round_.owner_city_id,
            round_id=round_.id,
            participating_city_ids=cities,
            status=TenderStatus.DRAFT.value,
            estimated_value_cents=estimated,
            recommended_procedure=advice.procedure.value,
            recommendation_reason=advice.reason,
            standstill=advice.procedure == Procedure.OPEN_EU,  # § 134 GWB: at or above the EU threshold
            procedure=advice.procedure.value,
            procedure_justification="",
            bids_opened_by="",
            weight_price=0,
            weight_quality=0,
            weight_data_protection=0,
            evaluated_by="",
            cancel_reason="",
            created_by=principal.username,
            created_at=now,
            updated_at=now,
        )

    async def _forget_draft(self, tender_id: str) -> None:
        """Remove a tender that was never published (nobody outside the network's leads saw it)."""
        try:
            async with write_transaction(self._sessions) as session:
                tender = await repository.get_tender(session, tender_id, lock="update")
                if tender is None or tender.published_at is not None:
                    return
                for model in (TenderEvent, LotShare, LotItem, Lot):
                    await session.execute(delete(model).where(model.tender_id == tender_id))
                await session.execute(delete(Tender).where(Tender.id == tender_id))
                await numbering.give_back(await session.connection(), ReferenceCounters, "tender", tender.reference)
        except Exception:  # a retry of the create resumes with this draft
            log.exception("could not remove the draft tender %s after its round was not bundled", tender_id)

    async def get_tender(self, principal: Principal, tender_id: str) -> TenderView:
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            return await self._view(session, principal, tender)

    async def list_tenders(
        self, principal: Principal, limit: int, cursor: str, status: TenderStatus | None, reference: str = ""
    ) -> Page[TenderView]:
        scope = tender_scope(principal)
        statuses = [status.value] if status is not None else [s.value for s in TenderStatus]
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            tenders = await repository.tenders_after(
                session,
                window.after,
                window.fetch,
                statuses,
                scope.city_id,
                published_only=scope.published_only,
                reference=numbering.normalised(reference),
            )
            page = window.close(tenders, lambda t: t.id)
            return Page(
                [await self._view(session, principal, t, with_lots=False) for t in page.records], page.next_cursor
            )

    async def update_tender(
        self, principal: Principal, tender_id: str, changes: Mapping[str, object], expected_version: int
    ) -> TenderView:
        """A draft: title, description, bids_due_at, questions_due_at, procedure (+ justification); published: a
        later bids_due_at or questions_due_at."""
        lifecycle.check_edit(changes, expected_version)
        async with self._writing() as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            allowed = {
                TenderStatus.DRAFT: {"title", "description", "bids_due_at", "questions_due_at", "procedure",
                                     "procedure_justification", "standstill"},
                TenderStatus.PUBLISHED: {"bids_due_at", "questions_due_at", "standstill"},
            }.get(TenderStatus(tender.status), set())  # fmt: skip
            if tender.status == TenderStatus.PUBLISHED and tender.bids_due_at and tender.bids_due_at <= utc_now():
                raise StateConflict(  # reopening bidding would let late bids in
                    Text(
                        "bids were due by {due}; the tender no longer changes: close bidding, or cancel it",
                        due=tender.bids_due_at,
                    ),
                    tender.status,
                )
            lifecycle.check_changeable("tender", tender.status, changes, allowed)
            now = utc_now()
            violations = _tender_change_violations(tender, changes, now)
            if violations:
                raise InvalidArgument(Text("the change is not valid"), violations=violations)
            for name, value in changes.items():
                setattr(tender, name, value.value if isinstance(value, Procedure) else value)
            if tender.procedure == tender.recommended_procedure:
                tender.procedure_justification = ""
            if session.is_modified(tender):
                tender.updated_at = now
                detail = ", ".join(f"{name}: {_text(getattr(tender, name))}" for name in sorted(changes))
                session.add(_event(tender, "changed", principal, detail))
            await session.flush()
            return await self._view(session, principal, tender)

    async def transition(
        self, principal: Principal, tender_id: str, action: str, expected_version: int, reason: str = ""
    ) -> TenderView:
        """publish | close_bidding | cancel, by a procurement lead of the lead city."""
        if action == "cancel" and not reason.strip():
            raise InvalidArgument.for_field(
                "reason", Text("say why the tender is cancelled; the cities and vendors read it")
            )
        if action == "publish":
            await self._round_bundled_into(principal, tender_id)
        if len(reason) > rules.MAX_TEXT:
            raise InvalidArgument.for_field(
                "reason", Text("must have at most {limit} characters", limit=rules.MAX_TEXT)
            )
        async with self._writing() as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            new_status = rules.check_transition(action, tender.status)
            now = utc_now()
            detail = ""
            if action == "publish":
                if tender.bids_due_at is None or tender.bids_due_at <= now:
                    raise InvalidArgument.for_field(
                        "bids_due_at", Text("set a deadline for bids in the future before publishing")
                    )
                if tender.questions_due_at is not None and tender.questions_due_at <= now:
                    raise InvalidArgument.for_field("questions_due_at", Text("must lie in the future"))
                tender.published_at = now
                session.add(_published_notice(tender))
                detail = f"bids due by {tender.bids_due_at:%Y-%m-%d %H:%M} UTC; procedure {tender.procedure}"
            if action == "close_bidding":
                assert tender.bids_due_at is not None
                if now < tender.bids_due_at:
                    raise StateConflict(
                        Text("bidding is open until {due}; bids are opened after it", due=tender.bids_due_at),
                        tender.status,
                    )
                submitted = await repository.bids_of(session, tender.id, status=BidStatus.SUBMITTED.value)
                tender.bids_opened_at, tender.bids_opened_by = now, principal.username
                vendors = len({b.vendor_id for b in submitted})
                detail = f"{len(submitted)} bid(s) of {vendors} vendor(s) opened"
            if action == "cancel":
                tender.cancel_reason = detail = reason.strip()
            tender.status = new_status.value
            tender.updated_at = now
            session.add(
                _event(tender, {"close_bidding": "bids_opened"}.get(action, new_status.value), principal, detail)
            )
            await session.flush()
            return await self._view(session, principal, tender)

    # -- bids ------------------------------------------------------------------------------

    async def submit_bid(self, principal: Principal, tender_id: str, draft: BidDraft) -> BidView:
        vendor_id = await active_vendor(self._catalog, principal)
        try:
            return await self._submit_bid(principal, tender_id, draft, vendor_id)
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise
            raise AlreadyExists(
                Text("{vendor} already has a bid on this lot; replace or withdraw it instead", vendor=vendor_id)
            ) from None

    async def _submit_bid(self, principal: Principal, tender_id: str, draft: BidDraft, vendor_id: str) -> BidView:
        async with self._writing() as session:
            tender, lot, quantities = await self._lot_taking_bids(session, tender_id, draft.lot_id)
            check_bid(draft, quantities, lot.number)
            bid = await repository.bid_of_vendor(session, lot.id, vendor_id)
            now = utc_now()
            if bid is not None and bid.status == BidStatus.SUBMITTED:
                raise AlreadyExists(
                    Text(
                        "{vendor} already has bid {bid} on lot {lot}; replace or withdraw it instead",
                        vendor=vendor_id,
                        bid=bid.id,
                        lot=lot.number,
                    ),
                    metadata={"bid_id": bid.id},
                )
            if bid is None:
                bid = Bid(id=time_ordered_id(), tender_id=tender.id, lot_id=lot.id, vendor_id=vendor_id)
                session.add(bid)
            fill_bid(bid, draft, principal.username, now)
            bid.submitted_at = now
            await session.flush()
            return bid_view(bid, quantities, None, tender)

    async def replace_bid(
        self, principal: Principal, tender_id: str, bid_id: str, draft: BidDraft, expected_version: int
    ) -> BidView:
        vendor_id = await active_vendor(self._catalog, principal)
        async with self._writing() as session:
            bid = await self._own_bid(session, tender_id, bid_id, vendor_id, expected_version)
            if draft.lot_id and draft.lot_id != bid.lot_id:
                raise InvalidArgument.for_field(
                    "lot_id", Text("a bid stays on its lot; withdraw it and bid on the other")
                )
            tender, lot, quantities = await self._lot_taking_bids(session, tender_id, bid.lot_id)
            if bid.status != BidStatus.SUBMITTED:
                raise StateConflict(Text("the bid is withdrawn; submit a new one"), tender.status)
            check_bid(draft, quantities, lot.number)
            fill_bid(bid, draft, principal.username, utc_now())
            await session.flush()
            return bid_view(bid, quantities, None, tender)

    async def withdraw_bid(self, principal: Principal, tender_id: str, bid_id: str, expected_version: int) -> BidView:
        vendor_id = await active_vendor(self._catalog, principal)
        async with self._writing() as session:
            bid = await self._own_bid(session, tender_id, bid_id, vendor_id, expected_version)
            tender, _, quantities = await self._lot_taking_bids(session, tender_id, bid.lot_id)
            if bid.status == BidStatus.SUBMITTED:
                bid.status = BidStatus.WITHDRAWN.value
                bid.updated_at = utc_now()
                await session.flush()
            return bid_view(bid, quantities, None, tender)

    async def list_bids(self, principal: Principal, tender_id: str, lot_id: str) -> list[BidView]:
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            if vendor_only(principal):
                bids = await repository.bids_of(session, tender.id, vendor_id=principal.own_vendor())
            else:
                require_bid_reader(principal, tender)
                if TenderStatus(tender.status) not in rules.OPENED:
                    raise StateConflict(
                        Text(
                            "the bids are sealed until bidding is closed (bids are due by {due})",
                            due=tender.bids_due_at,
                        )
                        if tender.bids_due_at
                        else Text("the bids are sealed until bidding is closed"),
                        tender.status,
                    )
                bids = await repository.bids_of(session, tender.id, status=BidStatus.SUBMITTED.value)
            bids = [b for b in bids if not lot_id or b.lot_id == lot_id]
            quantities = quantities_by_lot(await repository.lot_items_of(session, tender.id))
            lots = {lot.id: lot for lot in await repository.lots_of(session, tender.id)}
            return [bid_view(b, quantities[b.lot_id], lots[b.lot_id], tender) for b in bids]

    # -- evaluation and award --------------------------------------------------------------

    async def evaluate(
        self,
        principal: Principal,
        tender_id: str,
        weights: scoring.Weights,
        inputs: Sequence[ScoreInput],
        expected_version: int,
    ) -> EvaluationView:
        violations = [FieldViolation(f"weights.{name}" if name != "weights" else name, text)
                      for name, text in weights.problems()]  # fmt: skip
        if violations:
            raise InvalidArgument(Text("the weights are not valid"), violations=violations)
        async with self._writing() as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            rules.check_transition("evaluate", tender.status)
            bids = await repository.bids_of(session, tender.id, status=BidStatus.SUBMITTED.value)
            if not bids:
                raise StateConflict(Text("no bids were submitted; cancel the tender instead"), tender.status)
            quantities = quantities_by_lot(await repository.lot_items_of(session, tender.id))
            rows = score_rows(tender.id, bids, quantities, weights, inputs)
            await repository.drop_scores(session, tender.id)
            await session.flush()
            session.add_all(rows)
            now = utc_now()
            tender.weight_price, tender.weight_quality = weights.price, weights.quality
            tender.weight_data_protection = weights.data_protection
            tender.evaluated_by, tender.evaluated_at = principal.username, now
            tender.status = TenderStatus.EVALUATED.value
            tender.updated_at = now
            detail = (
                f"weights price {weights.price}, quality {weights.quality}, data protection {weights.data_protection}"
            )
            session.add(_event(tender, "evaluated", principal, detail))
            await session.flush()
            return await self._evaluation(session, tender)

    async def get_evaluation(self, principal: Principal, tender_id: str) -> EvaluationView:
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            require_bid_reader(principal, tender)
            if tender.evaluated_at is None:
                raise StateConflict(Text("the tender has not been evaluated yet"), tender.status)
            return await self._evaluation(session, tender)

    async def award(
        self,
        principal: Principal,
        tender_id: str,
        decisions: Sequence[AwardDecision],
        term: ContractTerm,
        expected_version: int,
    ) -> tuple[TenderView, list[contracts_pb.Contract] | None]:
        """The awarded tender and its contracts as the contracts service made them; None for the contracts when
        that service did not confirm them yet (the order stands, and the relay delivers it as soon as it can)."""
        starts_on, ends_on, notice_on = rules.resolved_term(term, network_today())
        standstill = await self._require_active_parties(principal, tender_id, decisions, expected_version)
        names = {}  # the winners' names, for the information notices of a standstill (read before the transaction)
        if standstill:
            names = {vendor_id: vendor.name for vendor_id, vendor in (await self._catalog.vendors(principal)).items()}
        async with self._writing() as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            rules.check_transition("award", tender.status)
            lots = await repository.lots_of(session, tender.id)
            scores = await repository.scores_of(session, tender.id)
            chosen = check_decisions(lots, scores, decisions)
            items = await repository.lot_items_of(session, tender.id)
            shares = await repository.lot_shares_of(session, tender.id)
            bids = {b.id: b for b in await repository.bids_of(session, tender.id)}
            now = utc_now()
            order = contracts_pb.CreateAwardContractsRequest(
                tender_id=tender.id, lead_city_id=tender.lead_city_id, awarded_by=principal.username,
                awarded_at=to_timestamp(now), starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(),
                renewal_notice_on=notice_on.isoformat(), price_weight=tender.weight_price,
                quality_weight=tender.weight_quality, data_protection_weight=tender.weight_data_protection,
            )  # fmt: skip
            scored = {s.bid_id: s for s in scores}
            awarded: dict[str, list[str]] = {}  # lot -> its awarded bids, in the order of the cascade
            for lot in lots:
                decision = chosen.get(lot.id)
                if decision is None:
                    continue
                awarded[lot.id] = awarded_bids(decision, scores)
                lot.awarded_bid_id, lot.award_justification = decision.bid_id, decision.justification.strip()
                lot.framework_bid_ids = awarded[lot.id] if len(awarded[lot.id]) > 1 else []
                for item in (i for i in items if i.lot_id == lot.id):
                    quotas = {s.city_id: s.quantity for s in shares if s.lot_id == lot.id and s.item_id == item.item_id}
                    awardees = [Awardee(bid.id, bid.vendor_id, _unit_price(bid, item), scored[bid.id].quality_score,
                                        scored[bid.id].data_protection_score)
                                for bid in (bids[bid_id] for bid_id in awarded[lot.id])]  # fmt: skip
                    order_item(order, item, quotas, item.quantity, item.quantity, awardees)
            tender.award_decided_at = now
            if tender.standstill:  # the contracts wait, and the bidders not chosen are told why (§ 134 GWB)
                period = deadlines.standstill(now, self._holidays)
                tender.standstill_ends_on = period.last_day
                order.state = contracts_pb.AWARD_STATE_PENDING
                session.add_all(information_notices(tender, lots, scores, bids, awarded, names, period))
            else:
                order.state = contracts_pb.AWARD_STATE_ACTIVE
            await AwardRelay.place(session, order, now)
            winners = {bids[b].vendor_id for lot_bids in awarded.values() for b in lot_bids}
            bidders = {b.vendor_id for b in bids.values() if b.status == BidStatus.SUBMITTED.value}
            decision_number = await repository.count_events(session, tender.id, "awarded") + 1
            for vendor_id in sorted(bidders):
                won = vendor_id in winners
                session.add(_award_notice(tender, vendor_id, won=won, decision=decision_number))
            tender.status = TenderStatus.AWARDED.value
            tender.updated_at = now
            lots_to = ", ".join(
                f"lot {lot.number} to {' > '.join(bids[b].vendor_id for b in awarded[lot.id])}"
                for lot in lots
                if lot.id in awarded
            )
            detail = f"{lots_to}; {len(order.items)} contract(s)"
            if tender.standstill_ends_on is not None:
                detail += (
                    f", pending until the standstill ends on {tender.standstill_ends_on} ({deadlines.STANDSTILL_BASIS})"
                )
            session.add(_event(tender, "awarded", principal, detail))
            await session.flush()
            view = await self._view(session, principal, tender)
        return view, await self._relay.deliver(tender.id)

    async def _require_active_parties(
        self, principal: Principal, tender_id: str, decisions: Sequence[AwardDecision], expected_version: int
    ) -> bool:
        """The vendors of the chosen bids and the cities with a share in the awarded lots are still active in the
        catalog (asked before the award's transaction: no lock is held across a remote call). Returns whether
        the tender waits out a standstill."""
        async with self._sessions() as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            bids = {b.id: b for b in await repository.bids_of(session, tender.id)}
            shares = await repository.lot_shares_of(session, tender.id)
            scores = await repository.scores_of(session, tender.id)
        named = [Reference(f"awards[{n}].bid_id", Kind.VENDOR, bids[bid_id].vendor_id)
                 for n, d in enumerate(decisions) for bid_id in awarded_bids(d, scores) if bid_id in bids]  # fmt: skip
        for n, decision in enumerate(decisions):
            cities = sorted({s.city_id for s in shares if s.lot_id == decision.lot_id})
            named += references.cities(f"awards[{n}].lot_id", cities)
        await references.require_active(self._catalog, named)
        return tender.standstill

    # -- open data -------------------------------------------------------------------------

    async def ocds_package(self, principal: Principal, tender_id: str, ocid_prefix: str) -> dict[str, Any]:
        """The tender as an OCDS release package, as the caller may see it (ocds.py)."""
        view, contracts, bids = await self.ocds_inputs(principal, tender_id)
        cities, vendors = await self._catalog.cities(principal), await self._catalog.vendors(principal)
        return ocds.release_package(
            view, contracts, bids, cities, vendors, ocid_prefix=ocid_prefix, published_at=utc_now()
        )

    async def ocds_inputs(
        self, principal: Principal, tender_id: str
    ) -> tuple[TenderView, list[contracts_pb.Contract], list[Bid]]:
        """What the OCDS export shows: the tender, its contracts and (after award) the bids; each city's share and
        buyer entry as the caller may see it (a city its own only, as in every other view)."""
        if vendor_only(principal):
            raise PermissionDenied(Text("the open-data export is for the cities and the network"))
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            view = await self._view(session, principal, tender)
            bids = await repository.bids_of(session, tender.id, status=BidStatus.SUBMITTED.value)
        contracts = await self._relay.contracts_of(tender.id) if tender.status == TenderStatus.AWARDED else []
        for contract in contracts:
            visible = [q for q in contract.quotas if principal.sees_city(q.city_id)]
            del contract.quotas[:]
            contract.quotas.extend(visible)
        opened = TenderStatus(tender.status) in rules.OPENED
        return view, contracts, bids if opened else []

    # -- shared steps ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        try:
            async with write_transaction(self._sessions) as session:
                yield session
        except StaleDataError:
            raise VersionConflict(Text("the tender or bid"), 0) from None

    async def _lot_taking_bids(
        self, session: AsyncSession, tender_id: str, lot_id: str
    ) -> tuple[Tender, Lot, dict[str, int]]:
        """The tender (locked against closing, then the time checked) and the lot with its quantities."""
        tender = await repository.get_tender(session, tender_id, lock="share")
        if tender is None or tender.published_at is None:
            raise NotFound(Text("tender {id} does not exist", id=tender_id))
        rules.check_bids_accepted(tender.status, tender.bids_due_at, utc_now())
        lot = next((x for x in await repository.lots_of(session, tender.id) if x.id == lot_id), None)
        if lot is None:
            raise InvalidArgument.for_field("lot_id", Text("the tender has no lot {lot}", lot=repr(lot_id)))
        items = [i for i in await repository.lot_items_of(session, tender.id) if i.lot_id == lot.id]
        return tender, lot, {i.item_id: i.quantity for i in items}

    async def _own_bid(
        self, session: AsyncSession, tender_id: str, bid_id: str, vendor_id: str, expected_version: int
    ) -> Bid:
        bid = await repository.get_bid(session, tender_id, bid_id)
        if bid is None or bid.vendor_id != vendor_id:
            raise NotFound(
                Text("bid {bid} does not exist in tender {tender}", bid=bid_id, tender=tender_id)
            )  # the same for another's bid
        if expected_version and expected_version != bid.version:
            raise VersionConflict(Text("bid {id}", id=bid_id), expected_version, bid.version)
        return bid

    async def _view(
        self, session: AsyncSession, principal: Principal, tender: Tender, *, with_lots: bool = True
    ) -> TenderView:
        for_vendor = vendor_only(principal)
        if not with_lots:
            return TenderView(tender, [], [], for_vendor)
        lots = await repository.lots_of(session, tender.id)
        items = await repository.lot_items_of(session, tender.id)
        shares = [s for s in await repository.lot_shares_of(session, tender.id) if principal.sees_city(s.city_id)]
        views = []
        for lot in lots:
            by_item: dict[str, list[LotShare]] = {}
            for share in (s for s in shares if s.lot_id == lot.id):
                by_item.setdefault(share.item_id, []).append(share)
            views.append(LotView(lot, [i for i in items if i.lot_id == lot.id], by_item))
        events = [] if for_vendor else await repository.events_of(session, tender.id)
        return TenderView(tender, views, events, for_vendor)

    async def _evaluation(self, session: AsyncSession, tender: Tender) -> EvaluationView:
        lots = await repository.lots_of(session, tender.id)
        numbers = {lot.id: lot.number for lot in lots}
        rows = sorted(await repository.scores_of(session, tender.id), key=lambda r: (numbers[r.lot_id], r.rank))
        return EvaluationView(tender, rows, numbers)


# -- helpers -------------------------------------------------------------------------------


def _event(tender: Tender, action: str, principal: Principal, detail: str = "") -> TenderEvent:
    return TenderEvent.of(tender, action, principal.username, utc_now(), detail)


def _text(value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)[:120]


def _tender_change_violations(tender: Tender, changes: Mapping[str, object], now: dt.datetime) -> list[FieldViolation]:
    found = []
    title = changes.get("title")
    if isinstance(title, str) and not (0 < len(title.strip()) <= 200):
        found.append(FieldViolation("title", Text("must be 1 to 200 characters")))
    description = changes.get("description")
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
        found.append(FieldViolation("description", Text("must have at most {limit} characters", limit=MAX_DESCRIPTION)))
    due = changes.get("bids_due_at")
    if "bids_due_at" in changes:
        if not isinstance(due, dt.datetime) or due <= now:
            found.append(FieldViolation("bids_due_at", Text("must lie in the future")))
        elif tender.status == TenderStatus.PUBLISHED and tender.bids_due_at and due < tender.bids_due_at:
            found.append(FieldViolation("bids_due_at", Text("a published tender's deadline can only be extended")))
    found += _questions_due_violations(tender, changes, now)
    if changes.get("standstill") is False and tender.recommended_procedure == Procedure.OPEN_EU:
        found.append(FieldViolation("standstill", Text(_STANDSTILL_REQUIRED)))
    procedure = changes.get("procedure", Procedure(tender.procedure))
    justification = str(changes.get("procedure_justification", tender.procedure_justification)).strip()
    if procedure != tender.recommended_procedure and not justification:
        found.append(
            FieldViolation(
                "procedure_justification",
                Text(
                    "another procedure than the recommended {procedure} needs a written justification",
                    procedure=Labels("procedure", tender.recommended_procedure),
                ),
            )
        )
    if len(justification) > rules.MAX_TEXT:
        found.append(
            FieldViolation(
                "procedure_justification", Text("must have at most {limit} characters", limit=rules.MAX_TEXT)
            )
        )
    return found


def _questions_due_violations(tender: Tender, changes: Mapping[str, object], now: dt.datetime) -> list[FieldViolation]:
    """The tender's own time for questions lies in the future, before the deadline; once published it moves
    only later (vendors plan by it). None returns to the default, 6 days before the deadline."""
    own = changes.get("questions_due_at", tender.questions_due_at)
    due = changes.get("bids_due_at", tender.bids_due_at)
    if not isinstance(own, dt.datetime):
        own = None
    if "questions_due_at" in changes and own is not None and own <= now:
        return [FieldViolation("questions_due_at", Text("must lie in the future"))]
    if own is not None and isinstance(due, dt.datetime) and own >= due:
        return [FieldViolation("questions_due_at", Text("must lie before bids_due_at, when bids are due"))]
    if tender.status == TenderStatus.PUBLISHED and "questions_due_at" in changes:
        before = deadlines.questions_due(tender)
        after = own if own is not None else deadlines.change_cutoff(due) if isinstance(due, dt.datetime) else None
        if before is not None and after is not None and after < before:
            return [FieldViolation("questions_due_at", Text(_QUESTIONS_ONLY_LATER, current=before))]
    return []


def _published_notice(tender: Tender) -> NotificationOrder:
    """The e-mail event of a published tender: every vendor's users are told (in the publishing transaction)."""
    assert tender.bids_due_at is not None
    values = {"tender_title": tender.title, "bids_due_at": tender.bids_due_at.isoformat(),
              "path": f"tenders/{tender.id}"}  # fmt: skip
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/published/{tender.id}", "tender_published",
                             [notify.audience(role="vendor")], values)  # fmt: skip
    return row


def _unit_price(bid: Bid, item: LotItem) -> int:
    """The bid's unit price for the lot item: its volume tier at the tendered quantity."""
    return next(p for p in bid_prices(bid) if p.item_id == item.item_id).unit_price_for(item.quantity)


def _award_notice(tender: Tender, vendor_id: str, *, won: bool, decision: int) -> NotificationOrder:
    """The e-mail event of an award for one bidding vendor: its own outcome (in the award's transaction).
    `decision`: the tender's how-manieth award decision (after a revoked one, the next is told too)."""
    values = {"tender_title": tender.title, "variant": "won" if won else "lost", "path": f"tenders/{tender.id}"}
    key = f"tenders/awarded/{tender.id}/{vendor_id}{rules.decision_suffix(decision)}"
    row: NotificationOrder = notify.outbox_row(NotificationOrder, key, "award_decided",
                                               [notify.audience(role="vendor", vendor_id=vendor_id)],
                                               values)  # fmt: skip
    return row
