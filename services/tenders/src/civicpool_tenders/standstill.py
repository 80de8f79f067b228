"""After the award decision: the standstill, the information notices, review applications, and concluding the
contracts (§§ 134, 160, 168, 169 GWB).

- A tender at or above the EU threshold has a standstill (`Tender.standstill`, on from its creation and not to
  be switched off); below it the lead switches it on before bids are opened. At the award decision every
  bidder not chosen for a lot gets an information notice in-system (the winner, its own rank and score
  against the winner's, the first day a contract may be concluded), recorded with the time it was sent, and
  the award's contracts are made `pending`: no call-off is possible.
- The standstill ends after 10 calendar days from the day after sending (deadlines.standstill). Then the lead
  confirms the contracts signed (`activate`), which makes them active, unless a review application is open.
- The lead records a review application (date received, chamber) and later its outcome: dismissed (the
  contracts may be concluded), or upheld: the award is revoked, its pending contracts too, and the tender
  returns to `evaluated` to be awarded again. Everything stays in the event log.
- E-mail: the lead city's leads when a review application is recorded or decided, and when the standstill has
  ended (a sweep, once per award decision, while no review application is open); the awarded vendors when their
  contracts are concluded.
- Who reads: the lead city's leads and the admins everything; a vendor its own notices; the participating
  cities the dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool.notifications.v1 import notifications_pb2 as notifications_pb
from civicpool_common import notify
from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import InvalidArgument, NotFound, VersionConflict
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import NETWORK_TIME_ZONE, ComplaintOutcome, TenderStatus
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from civicpool_tenders import deadlines, repository, rules
from civicpool_tenders.access import in_charge, lead_tender, vendor_only, visible_tender
from civicpool_tenders.models import (
    Bid,
    BidScore,
    Complaint,
    InformationNotice,
    Lot,
    NotificationOrder,
    Tender,
    TenderEvent,
)
from civicpool_tenders.relay import AwardRelay

OUTCOMES = tuple(outcome.value for outcome in ComplaintOutcome)
MAX_NOTE = 4000

_STANDSTILL_RUNS = N_("the standstill runs until {last_day} ({basis}): the contracts may be concluded from {earliest}")
_COMPLAINT_OPEN = N_(
    "a review application received on {received} by {chamber} is open: no contract is concluded before its outcome (§ 169 (1) GWB); record the outcome first"  # noqa: E501
)
_NO_STANDSTILL = N_(
    "tender {reference} is {status} without a standstill waiting; complaints and activation concern an award decision in its standstill"  # noqa: E501
)


@dataclass(frozen=True)
class StandstillView:
    tender: Tender
    period: deadlines.Standstill | None  # None: no award decision waits out a standstill
    notices: list[InformationNotice]  # those the caller may read


def information_notices(
    tender: Tender, lots: Sequence[Lot], scores: Sequence[BidScore], bids: Mapping[str, Bid],
    chosen: Mapping[str, Sequence[str]], names: Mapping[str, str], period: deadlines.Standstill,
) -> list[InformationNotice]:  # fmt: skip
    """One notice per bidder not chosen for at least one lot (`chosen`: lot -> awarded bids, best-ranked first),
    naming for each such lot the winner (of a framework with several vendors: the best-ranked) and its own rank and
    score against the winner's (pure)."""
    by_vendor: dict[str, list[dict[str, object]]] = {}
    for lot in sorted(lots, key=lambda lot: lot.number):
        winning = chosen.get(lot.id)
        if not winning:
            continue
        rows = {row.bid_id: row for row in scores if row.lot_id == lot.id}
        winner = rows[winning[0]]
        winners = {bids[bid_id].vendor_id for bid_id in winning}
        for row in sorted(rows.values(), key=lambda row: row.rank):
            if row.bid_id in winning or bids[row.bid_id].vendor_id in winners:
                continue
            by_vendor.setdefault(row.vendor_id, []).append({
                "lot_id": lot.id, "lot_number": lot.number, "lot_title": lot.title,
                "winner_vendor_id": winner.vendor_id, "winner_name": names.get(winner.vendor_id, winner.vendor_id),
                "rank": row.rank, "bidders": len(rows), "total_score_milli": row.total_score_milli,
                "winner_score_milli": winner.total_score_milli, "evaluated_price_cents": row.evaluated_price_cents,
                "winner_price_cents": winner.evaluated_price_cents,
            })  # fmt: skip
    return [
        InformationNotice(
            id=time_ordered_id(),
            tender_id=tender.id,
            vendor_id=vendor_id,
            lots=lost,
            earliest_conclusion_on=period.earliest_conclusion_on,
            sent_at=period.sent_at,
            electronic=True,
        )
        for vendor_id, lost in sorted(by_vendor.items())
    ]


class StandstillService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], relay: AwardRelay, public_holidays: Container[dt.date]
    ) -> None:
        self._sessions = sessions
        self._relay = relay
        self._holidays = public_holidays

    async def view(self, principal: Principal, tender_id: str) -> StandstillView:
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            decided = tender.award_decided_at
            notices = [] if decided is None else await repository.notices_of(session, tender.id, decided)
        if not in_charge(principal, tender):
            own = principal.own_vendor() if vendor_only(principal) else None
            notices = [n for n in notices if n.vendor_id == own]
        if not _waits(tender):  # no period runs; the notices of the award in force stay readable, as sent
            return StandstillView(tender, None, notices)
        assert tender.award_decided_at is not None and tender.standstill_ends_on is not None
        period = deadlines.Standstill(tender.award_decided_at, deadlines.STANDSTILL_DAYS[True],
                                      tender.standstill_ends_on,
                                      tender.standstill_ends_on + dt.timedelta(days=1))  # fmt: skip
        return StandstillView(tender, period, notices)

    async def activate(
        self, principal: Principal, tender_id: str, expected_version: int
    ) -> list[contracts_pb.Contract] | None:
        """The lead confirms the contracts signed once the standstill is over and no review application is open:
        they become active. Returns them, or None while the contracts service has not confirmed yet."""
        async with write_transaction(self._sessions) as session:
            tender = await lead_tender(session, principal, tender_id, expected_version)
            _require_waiting(tender)
            assert tender.standstill_ends_on is not None
            today = network_today()
            if today <= tender.standstill_ends_on:
                raise StateConflict(
                    Text(_STANDSTILL_RUNS, last_day=tender.standstill_ends_on, basis=Text(deadlines.STANDSTILL_BASIS),
                         earliest=tender.standstill_ends_on + dt.timedelta(days=1)),
                    tender.status,
                )  # fmt: skip
            for complaint in await repository.complaints_of(session, tender.id):
                if not complaint.outcome:
                    raise StateConflict(
                        Text(_COMPLAINT_OPEN, received=complaint.received_on, chamber=complaint.chamber),
                        tender.status,
                    )
            now = utc_now()
            tender.contracts_activated_at, tender.contracts_activated_by = now, principal.username
            tender.updated_at = now
            await AwardRelay.change_state(session, tender.id, contracts_pb.AWARD_STATE_ACTIVE, now)
            detail = f"standstill ended {tender.standstill_ends_on}; the lead confirmed signing"
            session.add(TenderEvent.of(tender, "contracts_activated", principal.username, now, detail))
            decision = await _decision_suffix(session, tender)
            for vendor_id in await _awarded_vendors(session, tender):
                session.add(_concluded_notice(tender, vendor_id, decision))
        return await self._relay.deliver(tender_id)

    async def complaints(self, principal: Principal, tender_id: str, limit: int, cursor: str) -> Page[Complaint]:
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            if not in_charge(principal, tender):
                raise NotFound(Text("tender {id} has no complaints you may read", id=tender_id))
            found = await repository.complaints_of(session, tender.id, window.after, window.fetch)
        return window.close(found, lambda complaint: complaint.id)

    async def record_complaint(
        self, principal: Principal, tender_id: str, received_on: dt.date, chamber: str, reference: str, note: str
    ) -> Complaint:
        chamber, reference, note = _text("chamber", chamber, 200), reference.strip()[:100], note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidArgument.for_field("note", Text("must have at most {limit} characters", limit=MAX_NOTE))
        async with write_transaction(self._sessions) as session:
            tender = await lead_tender(session, principal, tender_id)
            _require_waiting(tender)
            assert tender.award_decided_at is not None
            decided_on = tender.award_decided_at.astimezone(NETWORK_TIME_ZONE).date()
            if not decided_on <= received_on <= network_today():
                raise InvalidArgument.for_field(
                    "received_on", Text("must lie between the award decision, {day}, and today", day=decided_on)
                )
            now = utc_now()
            complaint = Complaint(id=time_ordered_id(), tender_id=tender.id, received_on=received_on,
                                  chamber=chamber, reference=reference, note=note, recorded_by=principal.username,
                                  recorded_at=now, outcome="", outcome_note="", outcome_recorded_by="")  # fmt: skip
            session.add(complaint)
            session.add(TenderEvent.of(tender, "complaint_recorded", principal.username, now,
                               f"review application received {received_on} by {chamber}"))  # fmt: skip
            session.add(_complaint_notice(tender, complaint, "recorded"))
            await session.flush()
            return complaint

    async def decide_complaint(
        self, principal: Principal, tender_id: str, complaint_id: str, outcome: str, decided_on: dt.date,
        note: str, expected_version: int,
    ) -> Complaint:  # fmt: skip
        """The chamber's outcome: dismissed, the contracts may be concluded; upheld, the award is revoked."""
        if outcome not in OUTCOMES:
            raise InvalidArgument.for_field("outcome", Text("must be one of {values}", values=", ".join(OUTCOMES)))
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidArgument.for_field("note", Text("must have at most {limit} characters", limit=MAX_NOTE))
        revoked = False
        try:
            async with write_transaction(self._sessions) as session:
                tender = await lead_tender(session, principal, tender_id)
                complaint = await session.get(Complaint, complaint_id)
                if complaint is None or complaint.tender_id != tender.id:
                    raise NotFound(Text("complaint {id} does not exist", id=complaint_id))
                if expected_version and expected_version != complaint.version:
                    raise VersionConflict(Text("complaint {id}", id=complaint_id), expected_version, complaint.version)
                if complaint.outcome:
                    raise StateConflict(
                        Text(
                            "its outcome is recorded already: {outcome}", outcome=Labels("outcome", complaint.outcome)
                        ),
                        tender.status,
                    )
                if not complaint.received_on <= decided_on <= network_today():
                    raise InvalidArgument.for_field(
                        "decided_on",
                        Text("must lie between the day received, {day}, and today", day=complaint.received_on),
                    )
                now = utc_now()
                complaint.outcome, complaint.decided_on, complaint.outcome_note = outcome, decided_on, note
                complaint.outcome_recorded_by, complaint.outcome_recorded_at = principal.username, now
                session.add(TenderEvent.of(tender, f"complaint_{outcome}", principal.username, now,
                                   f"review application of {complaint.received_on} ({complaint.chamber})"))  # fmt: skip
                session.add(_complaint_notice(tender, complaint, outcome))
                if outcome == ComplaintOutcome.UPHELD and _waits(tender):
                    await self._revoke(session, tender, principal.username, now)
                    revoked = True
                await session.flush()
        except StaleDataError:
            raise VersionConflict(Text("complaint {id}", id=complaint_id), expected_version) from None
        if revoked:
            await self._relay.deliver(tender_id)
        return complaint

    async def remind_ended(self) -> int:
        """Tell the lead city's leads that a standstill has ended and the contracts may be concluded (also run
        periodically): once per award decision, and not while a review application is open (its outcome comes
        first). The number of reminders added."""
        added = 0
        async with write_transaction(self._sessions) as session:
            for tender in await repository.standstills_ended_before(session, network_today()):
                if any(not complaint.outcome for complaint in await repository.complaints_of(session, tender.id)):
                    continue
                added += await notify.add_once(session, _ended_notice(tender, await _decision_suffix(session, tender)))
        return added

    async def _revoke(self, session: AsyncSession, tender: Tender, actor: str, now: dt.datetime) -> None:
        """The award is revoked: its contracts too (kept, revoked), and the tender is evaluated again."""
        for lot in await repository.lots_of(session, tender.id):
            lot.awarded_bid_id, lot.award_justification, lot.framework_bid_ids = "", "", []
        tender.status = TenderStatus.EVALUATED.value
        tender.award_decided_at, tender.standstill_ends_on = None, None
        tender.updated_at = now
        await AwardRelay.change_state(session, tender.id, contracts_pb.AWARD_STATE_REVOKED, now)
        session.add(TenderEvent.of(tender, "award_revoked", actor, now, "review application upheld; award it again"))


def _waits(tender: Tender) -> bool:
    """An award decision in its standstill, its contracts not concluded yet."""
    return (tender.status == TenderStatus.AWARDED and tender.standstill and tender.standstill_ends_on is not None
            and tender.contracts_activated_at is None)  # fmt: skip


def _require_waiting(tender: Tender) -> None:
    if not _waits(tender):
        raise StateConflict(
            Text(_NO_STANDSTILL, reference=tender.reference, status=Labels("tender", tender.status)), tender.status
        )


def _text(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not 0 < len(value) <= limit:
        raise InvalidArgument.for_field(field, Text("must be 1 to {limit} characters", limit=limit))
    return value


async def _decision_suffix(session: AsyncSession, tender: Tender) -> str:
    """The current award decision's part of an event key (rules.decision_suffix)."""
    return rules.decision_suffix(await repository.count_events(session, tender.id, "awarded"))


async def _awarded_vendors(session: AsyncSession, tender: Tender) -> list[str]:
    """The vendors of the current award: each lot's awarded bid, or its framework's bids."""
    awarded = {bid_id for lot in await repository.lots_of(session, tender.id)
               for bid_id in (lot.framework_bid_ids or [lot.awarded_bid_id]) if bid_id}  # fmt: skip
    return sorted({bid.vendor_id for bid in await repository.bids_of(session, tender.id) if bid.id in awarded})


def _lead_audience(tender: Tender) -> list[notifications_pb.Audience]:
    return [notify.audience(role=Role.PROCUREMENT_LEAD.value, city_id=tender.lead_city_id)]


def _complaint_notice(tender: Tender, complaint: Complaint, variant: str) -> NotificationOrder:
    """The lead city's leads are told of a review application recorded or decided (in its transaction)."""
    values = rules.mail_values(tender, variant=variant, received_on=complaint.received_on.isoformat(),
                               chamber=complaint.chamber)  # fmt: skip
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/complaint/{complaint.id}/{variant}",
                                               "tender_complaint", _lead_audience(tender), values)  # fmt: skip
    return row


def _ended_notice(tender: Tender, decision: str) -> NotificationOrder:
    """The lead city's leads are told that the standstill is over (a sweep adds it once, by its key)."""
    assert tender.standstill_ends_on is not None
    values = rules.mail_values(tender, last_day=tender.standstill_ends_on.isoformat())
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/standstill-ended/{tender.id}{decision}",
                                               "standstill_ended", _lead_audience(tender), values)  # fmt: skip
    return row


def _concluded_notice(tender: Tender, vendor_id: str, decision: str) -> NotificationOrder:
    """An awarded vendor is told that its contracts are concluded (in the activating transaction)."""
    key = f"tenders/concluded/{tender.id}/{vendor_id}{decision}"
    audience = notify.audience(role="vendor", vendor_id=vendor_id)
    row: NotificationOrder = notify.outbox_row(NotificationOrder, key, "contracts_concluded", [audience],
                                               rules.mail_values(tender))  # fmt: skip
    return row
