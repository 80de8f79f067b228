"""After the award decision, on real databases: the standstill, the information notices, review applications and
concluding the contracts (§§ 134, 160, 169 GWB)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import holidays
import pytest
from civicpool_common.database import session_factory
from civicpool_common.errors import InvalidArgument, NotFound
from civicpool_common.lifecycle import StateConflict
from civicpool_common.scoring import Weights
from civicpool_common.timestamps import network_today
from civicpool_tenders.awarding import AwardDecision
from civicpool_tenders.models import NotificationOrder, Tender
from civicpool_tenders.relay import AwardRelay
from civicpool_tenders.rules import ContractTerm
from civicpool_tenders.standstill import StandstillService
from sqlalchemy import select, update

from tests.service import test_tenders
from tests.service.conftest import LEAD, OTHER_LEAD, city_it
from tests.service.test_tenders import GLOBALMEET, RHEINTAL, SCHWARZWALD, Tendering, _opened, _scores
from tests.support.in_process import InProcessAwardContracts

tendering = test_tenders.tendering  # the fixture: real demand, catalog and contracts services in-process
CHAMBER = "Vergabekammer Baden-Württemberg"
BADEN_WUERTTEMBERG = holidays.country_holidays("DE", subdiv="BW")


def standstills(tendering: Tendering) -> StandstillService:
    sessions = session_factory(tendering.engine)
    return StandstillService(sessions, AwardRelay(sessions, InProcessAwardContracts(tendering.contracts)),
                             BADEN_WUERTTEMBERG)  # fmt: skip


async def _awarded_in_standstill(tendering: Tendering) -> tuple[str, dict[str, str]]:
    """The three vendors' tender with the standstill switched on (below the threshold, before publication: here
    set on the stored draft's opened copy), awarded to the best bids."""
    view, ids = await _opened(tendering)
    tender_id = view.tender.id
    await _set(tendering, tender_id, standstill=True)
    evaluation = await tendering.tenders.evaluate(LEAD, tender_id, Weights(50, 30, 20), _scores(ids), 0)
    best = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    await tendering.tenders.award(LEAD, tender_id, best, ContractTerm(), 0)
    return tender_id, ids


async def _set(tendering: Tendering, tender_id: str, **values: object) -> None:
    async with tendering.engine.begin() as connection:
        await connection.execute(update(Tender).where(Tender.id == tender_id).values(**values))


async def _statuses(tendering: Tendering, tender_id: str) -> list[str]:
    return sorted(view.contract.status for view in await tendering.contracts.award_contracts(tender_id))


async def _mails(tendering: Tendering, tender_id: str) -> dict[str, dict[str, Any]]:
    """The e-mail events in the tenders outbox that concern the tender, by key."""
    async with tendering.engine.connect() as connection:
        rows = (await connection.execute(select(NotificationOrder.event_key, NotificationOrder.request))).all()
    return {key: json.loads(request) for key, request in rows if tender_id in key or tender_id in request}


async def test_the_bidders_not_chosen_are_told_and_the_contracts_wait(tendering: Tendering) -> None:
    tender_id, _ = await _awarded_in_standstill(tendering)
    service = standstills(tendering)
    assert await _statuses(tendering, tender_id) == ["pending", "pending"]  # no call-off is possible
    seen = await service.view(LEAD, tender_id)
    assert seen.period is not None and seen.period.days == 10
    assert seen.period.last_day >= network_today() + dt.timedelta(days=10)
    # Rheintal won the laptops, GlobalMeet Jitsi: Schwarzwald lost both lots, GlobalMeet the laptops.
    assert {n.vendor_id: [lot["winner_vendor_id"] for lot in n.lots] for n in seen.notices} == {
        "globalmeet": ["rheintal"], "schwarzwald": ["rheintal", "globalmeet"],
    }  # fmt: skip
    laptops = next(n for n in seen.notices if n.vendor_id == "globalmeet").lots[0]
    assert laptops["winner_name"] == "Rheintal IT-Systemhaus GmbH" and laptops["rank"] > 1
    assert laptops["total_score_milli"] < laptops["winner_score_milli"]  # type: ignore[operator]
    own = await service.view(GLOBALMEET, tender_id)
    assert [n.vendor_id for n in own.notices] == ["globalmeet"]  # a vendor reads its own notice only
    assert (await service.view(RHEINTAL, tender_id)).notices == []
    city = await service.view(city_it("bruchsal"), tender_id)
    assert city.period == seen.period and city.notices == []
    with pytest.raises(NotFound):
        await service.view(city_it("rastatt"), tender_id)  # takes no part: the tender is hidden
    with pytest.raises(StateConflict, match="the standstill runs until"):
        await service.activate(LEAD, tender_id, 0)


async def test_a_complaint_blocks_until_dismissed_then_the_lead_concludes(tendering: Tendering) -> None:
    tender_id, _ = await _awarded_in_standstill(tendering)
    service = standstills(tendering)
    today = network_today()
    with pytest.raises(InvalidArgument, match="between the award decision"):
        await service.record_complaint(LEAD, tender_id, today + dt.timedelta(days=1), CHAMBER, "", "")
    complaint = await service.record_complaint(LEAD, tender_id, today, CHAMBER, "1 VK 12/26", "Schwarzwald rügt")
    await _set(tendering, tender_id, standstill_ends_on=today - dt.timedelta(days=1))  # the standstill is over
    with pytest.raises(StateConflict, match="review application"):
        await service.activate(LEAD, tender_id, 0)
    assert await service.remind_ended() == 0  # the open review application's outcome comes first
    with pytest.raises(Exception, match="lead city"):
        await service.decide_complaint(OTHER_LEAD, tender_id, complaint.id, "dismissed", today, "", 0)
    decided = await service.decide_complaint(LEAD, tender_id, complaint.id, "dismissed", today, "zurückgewiesen", 0)
    assert (decided.outcome, decided.decided_on) == ("dismissed", today)
    with pytest.raises(StateConflict, match="recorded already"):
        await service.decide_complaint(LEAD, tender_id, complaint.id, "upheld", today, "", 0)
    assert (await service.remind_ended(), await service.remind_ended()) == (1, 0)  # once per award decision
    contracts = await service.activate(LEAD, tender_id, 0)
    assert contracts is not None and sorted(c.status for c in contracts) == [1, 1]  # CONTRACT_STATUS_ACTIVE
    mails = await _mails(tendering, tender_id)
    lead = [{"role": "procurement-lead", "cityId": "ettlingen"}]
    since_award = {key: (mail["kind"], mail["audiences"]) for key, mail in mails.items()
                   if key.split("/")[1] not in ("published", "awarded")}  # fmt: skip
    assert since_award == {
        f"tenders/complaint/{complaint.id}/recorded": ("tender_complaint", lead),
        f"tenders/complaint/{complaint.id}/dismissed": ("tender_complaint", lead),
        f"tenders/standstill-ended/{tender_id}": ("standstill_ended", lead),
        **{f"tenders/concluded/{tender_id}/{vendor}": ("contracts_concluded", [{"role": "vendor", "vendorId": vendor}])
           for vendor in {c.vendor_id for c in contracts}},
    }  # fmt: skip
    assert mails[f"tenders/complaint/{complaint.id}/recorded"]["values"]["chamber"] == CHAMBER
    assert await service.remind_ended() == 0  # concluded: nothing to remind of
    assert await _statuses(tendering, tender_id) == ["active", "active"]
    actions = [e.action for e in (await tendering.tenders.get_tender(LEAD, tender_id)).events]
    assert actions[-4:] == ["awarded", "complaint_recorded", "complaint_dismissed", "contracts_activated"]
    with pytest.raises(StateConflict):  # concluded: nothing waits any more
        await service.activate(LEAD, tender_id, 0)
    assert (await service.view(LEAD, tender_id)).period is None


async def test_an_upheld_complaint_revokes_the_award_and_the_tender_is_awarded_again(tendering: Tendering) -> None:
    tender_id, ids = await _awarded_in_standstill(tendering)
    service = standstills(tendering)
    first = {view.contract.id for view in await tendering.contracts.award_contracts(tender_id)}
    complaint = await service.record_complaint(LEAD, tender_id, network_today(), CHAMBER, "", "")
    await service.decide_complaint(LEAD, tender_id, complaint.id, "upheld", network_today(), "neu werten", 0)
    revoked = await tendering.tenders.get_tender(LEAD, tender_id)
    assert revoked.tender.status == "evaluated" and all(lot.lot.awarded_bid_id == "" for lot in revoked.lots)
    assert await _statuses(tendering, tender_id) == ["revoked", "revoked"]  # kept on record
    evaluation = await tendering.tenders.evaluate(LEAD, tender_id, Weights(50, 30, 20), _scores(ids), 0)
    best = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    again, contracts = await tendering.tenders.award(LEAD, tender_id, best, ContractTerm(), 0)
    assert again.tender.status == "awarded" and contracts is not None
    assert {c.id for c in contracts}.isdisjoint(first)  # contracts of their own, the revoked ones beside them
    assert await _statuses(tendering, tender_id) == ["pending", "pending", "revoked", "revoked"]
    assert len((await service.view(LEAD, tender_id)).notices) == 2  # the new decision's notices only
    actions = [e.action for e in again.events]
    assert "award_revoked" in actions and actions.count("awarded") == 2


async def test_the_standstill_is_switched_only_below_the_threshold_and_before_the_bids(tendering: Tendering) -> None:
    draft = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    assert draft.tender.standstill is (draft.tender.recommended_procedure == "open_eu")
    on = await tendering.tenders.update_tender(LEAD, draft.tender.id, {"standstill": True}, draft.tender.version)
    assert on.tender.standstill
    await _set(tendering, draft.tender.id, recommended_procedure="open_eu", procedure="open_eu")
    with pytest.raises(InvalidArgument) as refused:
        await tendering.tenders.update_tender(LEAD, draft.tender.id, {"standstill": False}, on.tender.version)
    assert refused.value.violations[0].field == "standstill"
    view, _ = await _opened(tendering)
    with pytest.raises(StateConflict):  # the bids are open: the rules of the procedure stand
        await tendering.tenders.update_tender(LEAD, view.tender.id, {"standstill": True}, view.tender.version)


async def test_without_a_standstill_the_award_concludes_at_once(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    best = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    await tendering.tenders.award(LEAD, view.tender.id, best, ContractTerm(), 0)
    assert await _statuses(tendering, view.tender.id) == ["active", "active"]
    with pytest.raises(StateConflict, match="without a standstill"):
        await standstills(tendering).record_complaint(LEAD, view.tender.id, network_today(), CHAMBER, "", "")
    assert (await standstills(tendering).view(SCHWARZWALD, view.tender.id)).notices == []
