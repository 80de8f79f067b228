"""Bidder questions on real databases (SQLite and PostgreSQL): who asks and answers when, who sees the asker,
the order of the list, the 6-day rules, the log without the asker, and the e-mail events."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from civicpool_catalog.service import CatalogService
from civicpool_common.database import session_factory, utc_now
from civicpool_common.errors import InvalidArgument, NotFound, PermissionDenied, VersionConflict
from civicpool_common.lifecycle import StateConflict
from civicpool_tenders.models import NotificationOrder, Tender
from civicpool_tenders.questions import QuestionService
from sqlalchemy import select, update

from tests.service import test_tenders
from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, city_it
from tests.service.test_tenders import GLOBALMEET, RHEINTAL, SCHWARZWALD, Tendering
from tests.support.in_process import InProcessCatalog

tendering = test_tenders.tendering  # the fixture: real demand and catalog services in-process


def questions(tendering: Tendering, catalog: CatalogService) -> QuestionService:
    return QuestionService(session_factory(tendering.engine), InProcessCatalog(catalog))


async def _set_due(tendering: Tendering, tender_id: str, due: dt.datetime) -> None:
    async with tendering.engine.begin() as connection:
        await connection.execute(update(Tender).where(Tender.id == tender_id).values(bids_due_at=due))


async def test_answers_reach_everyone_without_the_asker_unanswered_first(
    tendering: Tendering, catalog: CatalogService
) -> None:
    service = questions(tendering, catalog)
    tender_id = (await tendering.published()).tender.id
    first = await service.ask(RHEINTAL, tender_id, "  Ist eine Teillieferung zulässig?  ")
    second = await service.ask(SCHWARZWALD, tender_id, "Gilt die Frist je Los?")
    assert first.question.question == "Ist eine Teillieferung zulässig?" and first.asked_by_caller
    answered = await service.answer(LEAD, tender_id, second.question.id, "Ja, je Los.", second.question.version)
    assert answered.question.answered_by == "ettlingen.lead"
    with pytest.raises(StateConflict, match="answered already"):
        await service.answer(LEAD, tender_id, second.question.id, "Nochmals", 0)
    clarification = await service.clarify(LEAD, tender_id, "Abschnitt 3 gilt für alle Lose.")

    lead_page = await service.list(LEAD, tender_id, 0, "")
    assert [v.question.id for v in lead_page.records] == [first.question.id, second.question.id,
                                                          clarification.question.id]  # fmt: skip
    assert [v.question.vendor_id for v in lead_page.records if v.shows_asker][:2] == ["rheintal", "schwarzwald"]
    rheintal = (await service.list(RHEINTAL, tender_id, 0, "")).records
    assert [(v.question.id, v.asked_by_caller, v.shows_asker) for v in rheintal] == [
        (first.question.id, True, False), (second.question.id, False, False), (clarification.question.id, False, False)
    ]  # fmt: skip
    for reader in (GLOBALMEET, city_it("bruchsal"), OTHER_LEAD):  # the answered ones only, nobody named
        seen = (await service.list(reader, tender_id, 0, "")).records
        assert [v.question.id for v in seen] == [second.question.id, clarification.question.id]
        assert not any(v.shows_asker or v.asked_by_caller for v in seen)
    assert [v.question.id for v in (await service.list(ADMIN, tender_id, 1, "")).records] == [first.question.id]
    page_1 = await service.list(LEAD, tender_id, 2, "")  # paging keeps the order across the two groups
    page_2 = await service.list(LEAD, tender_id, 2, page_1.next_cursor)
    assert [v.question.id for v in page_1.records + page_2.records] == [v.question.id for v in lead_page.records]

    view = await tendering.tenders.get_tender(LEAD, tender_id)
    logged = [(e.action, e.actor) for e in view.events if "question" in e.action or "clarification" in e.action]
    assert logged == [("question_asked", "bidder"), ("question_asked", "bidder"), ("question_answered", LEAD.username),
                      ("clarification_published", LEAD.username)]  # fmt: skip
    async with tendering.engine.connect() as connection:
        rows = (await connection.execute(select(NotificationOrder.event_key, NotificationOrder.request))).all()
    events = {key: json.loads(request) for key, request in rows}
    assert events[f"tenders/question/{first.question.id}"]["audiences"] == [
        {"role": "procurement-lead", "cityId": "ettlingen"}
    ]
    for item in (second, clarification):
        assert events[f"tenders/answer/{item.question.id}"]["audiences"] == [{"role": "vendor"}]
    assert f"tenders/answer/{first.question.id}" not in events


async def test_who_may_ask_and_answer(tendering: Tendering, catalog: CatalogService) -> None:
    service = questions(tendering, catalog)
    draft = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    with pytest.raises(NotFound):  # not published: no such tender for a vendor
        await service.ask(RHEINTAL, draft.tender.id, "Frage?")
    tender_id = (await tendering.published()).tender.id
    for stranger in (city_it("ettlingen"), LEAD):
        with pytest.raises(PermissionDenied):
            await service.ask(stranger, tender_id, "Frage?")
    asked = await service.ask(RHEINTAL, tender_id, "Frage?")
    for stranger in (OTHER_LEAD, RHEINTAL, ADMIN):
        with pytest.raises(PermissionDenied):
            await service.answer(stranger, tender_id, asked.question.id, "Antwort", 0)
    with pytest.raises(NotFound):
        await service.answer(LEAD, tender_id, "01a219d6-0000-7000-8000-00000000dead", "Antwort", 0)
    with pytest.raises(VersionConflict):
        await service.answer(LEAD, tender_id, asked.question.id, "Antwort", asked.question.version + 1)
    for empty in ("", "   ", "x" * 4001):
        with pytest.raises(InvalidArgument):
            await service.ask(RHEINTAL, tender_id, empty)
    with pytest.raises(NotFound):  # Rastatt takes no part: the tender is hidden from its IT
        await service.list(city_it("rastatt"), tender_id, 0, "")


async def test_the_6_day_rules_for_questions_and_answers(tendering: Tendering, catalog: CatalogService) -> None:
    service = questions(tendering, catalog)
    tender_id = (await tendering.published()).tender.id
    asked = await service.ask(RHEINTAL, tender_id, "Frage?")
    await _set_due(tendering, tender_id, utc_now() + dt.timedelta(days=5, hours=23))
    with pytest.raises(StateConflict, match="questions were accepted until"):
        await service.ask(SCHWARZWALD, tender_id, "Zu spät?")
    with pytest.raises(StateConflict, match=r"§ 20 \(3\) VgV"):
        await service.answer(LEAD, tender_id, asked.question.id, "Antwort", 0)
    with pytest.raises(StateConflict, match=r"§ 20 \(3\) VgV"):
        await service.clarify(LEAD, tender_id, "Klarstellung")
    await _set_due(tendering, tender_id, utc_now() + dt.timedelta(days=6, minutes=5))  # extended
    assert (await service.answer(LEAD, tender_id, asked.question.id, "Antwort", 0)).question.answer == "Antwort"
    await tendering.deadline_passes(tender_id)
    with pytest.raises(StateConflict, match="only while bids are open"):
        await service.clarify(LEAD, tender_id, "Klarstellung")
