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
from civicpool_tenders import deadlines
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


async def test_a_tender_sets_its_own_time_for_questions(tendering: Tendering, catalog: CatalogService) -> None:
    """questions_due_at: before the deadline, in the future, only later once published; None is the default."""
    service = questions(tendering, catalog)
    now = utc_now()
    draft = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    due = now + dt.timedelta(days=20)
    for wrong, reason in [(now - dt.timedelta(hours=1), "future"), (due, "before bids_due_at")]:
        with pytest.raises(InvalidArgument) as refused:
            await tendering.tenders.update_tender(
                LEAD, draft.tender.id, {"bids_due_at": due, "questions_due_at": wrong}, draft.tender.version
            )
        assert _violation(refused.value) == ("questions_due_at", reason)
    own = now + dt.timedelta(days=3)
    view = await tendering.tenders.update_tender(
        LEAD, draft.tender.id, {"bids_due_at": due, "questions_due_at": own}, draft.tender.version
    )
    assert deadlines.questions_due(view.tender) == own
    published = (await tendering.tenders.transition(LEAD, view.tender.id, "publish", 0)).tender
    tender_id = published.id
    await service.ask(RHEINTAL, tender_id, "Noch rechtzeitig?")
    earlier = {"questions_due_at": own - dt.timedelta(days=1)}
    with pytest.raises(InvalidArgument) as refused:  # vendors plan by it
        await tendering.tenders.update_tender(LEAD, tender_id, earlier, published.version)
    assert _violation(refused.value) == ("questions_due_at", "only be extended")
    async with tendering.engine.begin() as connection:  # the time for questions passes
        await connection.execute(update(Tender).where(Tender.id == tender_id).values(questions_due_at=now))
    with pytest.raises(StateConflict, match="questions were accepted until"):
        await service.ask(RHEINTAL, tender_id, "Zu spät?")
    current = await tendering.tenders.get_tender(LEAD, tender_id)
    reopened = await tendering.tenders.update_tender(
        LEAD, tender_id, {"questions_due_at": None}, current.tender.version
    )  # back to the default, 6 days before the deadline: later than the time that had passed
    assert reopened.tender.questions_due_at is None
    assert deadlines.questions_due(reopened.tender) == deadlines.change_cutoff(due)
    assert (await service.ask(RHEINTAL, tender_id, "Wieder offen?")).question.question == "Wieder offen?"
    events = [(e.action, e.detail) for e in (await tendering.tenders.get_tender(LEAD, tender_id)).events]
    assert ("changed", "questions_due_at: default") in events


async def test_questions_later_than_6_days_need_a_longer_deadline_to_answer(
    tendering: Tendering, catalog: CatalogService
) -> None:
    """A lead may take questions until 2 days before the deadline, but answers them only with a longer one."""
    service = questions(tendering, catalog)
    view = await tendering.published()
    due = view.tender.bids_due_at
    assert due is not None
    late = due - dt.timedelta(days=2)
    view = await tendering.tenders.update_tender(LEAD, view.tender.id, {"questions_due_at": late}, view.tender.version)
    await _set_due(tendering, view.tender.id, utc_now() + dt.timedelta(days=5))
    async with tendering.engine.begin() as connection:
        await connection.execute(
            update(Tender).where(Tender.id == view.tender.id).values(questions_due_at=utc_now() + dt.timedelta(days=3))
        )
    asked = await service.ask(RHEINTAL, view.tender.id, "Gilt die Frist?")  # within the tender's own time
    with pytest.raises(StateConflict, match=r"extend bids_due_at to"):
        await service.answer(LEAD, view.tender.id, asked.question.id, "Ja", 0)


def _violation(error: InvalidArgument) -> tuple[str, str]:
    """The one field refused, and the words of its reason that matter to the test."""
    [violation] = error.violations
    description = str(violation.description)
    for words in ("future", "before bids_due_at", "only be extended"):
        if words in description:
            return violation.field, words
    return violation.field, description
