"""Bidder questions and answers (§ 20 (3) VgV): vendors ask, the lead city answers for all of them.

- A vendor (active in the catalog) asks on a published tender until questions close: at the tender's
  questions_due_at, by default 6 Berlin calendar days before bids_due_at (deadlines.py). Later questions are
  refused with that time.
- A procurement lead of the lead city answers, or publishes a clarification nobody asked for, while at least
  6 days remain before bids_due_at (information given later needs a longer deadline: extend it first).
- An answer is published to everyone who sees the tender, without the asker: only the lead city's leads and
  the network's admins see who asked. The asker sees its own questions, answered or not, marked as its own.
- Every vendor is told of an answer or clarification by e-mail; the lead city's leads of a new question. The
  event log records each step without the asker's name (the cities read the log).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common import notify
from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import InvalidArgument, NotFound, VersionConflict
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.vocabulary import TenderStatus
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from civicpool_tenders import deadlines, repository, rules
from civicpool_tenders.access import active_vendor, in_charge, lead_tender, vendor_only, visible_tender
from civicpool_tenders.clients import Catalog
from civicpool_tenders.models import NotificationOrder, Question, Tender, TenderEvent

MAX_TEXT = 4000
BIDDER = "bidder"  # the actor of a question in the event log: the cities read the log, the asker stays unnamed

_QUESTIONS_CLOSED = N_(
    "questions were accepted until {cutoff} (bids are due by {due}); ask the lead city to extend the time for questions"
)
_ANSWER_TOO_LATE = N_(
    "bids are due by {due}: less than 6 days before, an answer or clarification needs a longer deadline (§ 20 (3) VgV); extend bids_due_at to {earliest} or later first"  # noqa: E501
)


@dataclass(frozen=True)
class QuestionView:
    question: Question
    shows_asker: bool  # the lead city's leads and the admins
    asked_by_caller: bool


class QuestionService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Catalog) -> None:
        self._sessions = sessions
        self._catalog = catalog

    async def ask(self, principal: Principal, tender_id: str, text: str) -> QuestionView:
        principal.require_any_role(Role.VENDOR)
        vendor_id = await active_vendor(self._catalog, principal)
        text = _checked_text("question", text)
        now = utc_now()
        async with write_transaction(self._sessions) as session:
            tender = await repository.get_tender(session, tender_id, lock="share")
            if tender is None or tender.published_at is None:
                raise NotFound(Text("tender {id} does not exist", id=tender_id))
            _check_open(tender)
            cutoff = deadlines.questions_due(tender)
            if cutoff is not None and now >= cutoff:
                raise StateConflict(Text(_QUESTIONS_CLOSED, cutoff=cutoff, due=tender.bids_due_at), tender.status)
            question = Question(id=time_ordered_id(), tender_id=tender.id, vendor_id=vendor_id,
                                asked_by=principal.username, question=text, asked_at=now, answer="",
                                answered_by="")  # fmt: skip
            session.add(question)
            session.add(TenderEvent.of(tender, "question_asked", BIDDER, now, f"question {question.id}"))
            session.add(_asked_notice(tender, question))
            await session.flush()
            return QuestionView(question, shows_asker=False, asked_by_caller=True)

    async def answer(
        self, principal: Principal, tender_id: str, question_id: str, text: str, expected_version: int
    ) -> QuestionView:
        text = _checked_text("answer", text)
        try:
            async with write_transaction(self._sessions) as session:
                tender, now = await self._tender_to_inform(session, principal, tender_id)
                question = await repository.get_question(session, tender.id, question_id)
                if question is None:
                    raise NotFound(Text("question {id} does not exist", id=question_id))
                if expected_version and expected_version != question.version:
                    raise VersionConflict(Text("question {id}", id=question_id), expected_version, question.version)
                if question.answer:
                    raise StateConflict(
                        Text("the question is answered already; publish a clarification to add to it"), tender.status
                    )
                question.answer, question.answered_by, question.answered_at = text, principal.username, now
                session.add(
                    TenderEvent.of(tender, "question_answered", principal.username, now, f"question {question.id}")
                )
                session.add(_published_notice(tender, question))
                await session.flush()
                return QuestionView(question, shows_asker=True, asked_by_caller=False)
        except StaleDataError:
            raise VersionConflict(Text("question {id}", id=question_id), expected_version) from None

    async def clarify(self, principal: Principal, tender_id: str, text: str) -> QuestionView:
        text = _checked_text("text", text)
        async with write_transaction(self._sessions) as session:
            tender, now = await self._tender_to_inform(session, principal, tender_id)
            question = Question(id=time_ordered_id(), tender_id=tender.id, vendor_id="", asked_by="", question="",
                                asked_at=now, answer=text, answered_by=principal.username, answered_at=now)  # fmt: skip
            session.add(question)
            session.add(
                TenderEvent.of(tender, "clarification_published", principal.username, now, f"question {question.id}")
            )
            session.add(_published_notice(tender, question))
            await session.flush()
            return QuestionView(question, shows_asker=True, asked_by_caller=False)

    async def list(self, principal: Principal, tender_id: str, limit: int, cursor: str) -> Page[QuestionView]:
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            tender = await visible_tender(session, principal, tender_id)
            sees_all = in_charge(principal, tender)
            own = principal.own_vendor() if vendor_only(principal) else ""
            found = await repository.questions_after(
                session, tender.id, window.after, window.fetch, all_of_them=sees_all, own_vendor=own
            )
            page = window.close(found, repository.question_key)
            views = [QuestionView(q, sees_all, bool(own) and q.vendor_id == own) for q in page.records]
            return Page(views, page.next_cursor)

    async def _tender_to_inform(
        self, session: AsyncSession, principal: Principal, tender_id: str
    ) -> tuple[Tender, dt.datetime]:
        """The tender a lead answers on (locked), while 6 days remain before its deadline."""
        tender = await lead_tender(session, principal, tender_id)
        _check_open(tender)
        now = utc_now()
        deadlines.require_change_window(tender, now, _ANSWER_TOO_LATE)
        return tender, now


def _check_open(tender: Tender) -> None:
    if tender.status != TenderStatus.PUBLISHED or tender.bids_due_at is None or utc_now() >= tender.bids_due_at:
        raise StateConflict(
            Text("the tender is {status}; questions are asked and answered only while bids are open",
                 status=Labels("tender", tender.status)),
            tender.status,
        )  # fmt: skip


def _checked_text(field: str, text: str) -> str:
    text = text.strip()
    if not 0 < len(text) <= MAX_TEXT:
        raise InvalidArgument.for_field(field, Text("must be 1 to {limit} characters", limit=MAX_TEXT))
    return text


def _published_notice(tender: Tender, question: Question) -> NotificationOrder:
    """Every vendor is told of an answer or a clarification (in its transaction)."""
    values = rules.mail_values(tender)
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/answer/{question.id}",
                                               "tender_answer_published", [notify.audience(role="vendor")],
                                               values)  # fmt: skip
    return row


def _asked_notice(tender: Tender, question: Question) -> NotificationOrder:
    """The lead city's procurement leads are told of a new question (in its transaction)."""
    values = rules.mail_values(tender)
    audience = notify.audience(role=Role.PROCUREMENT_LEAD.value, city_id=tender.lead_city_id)
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/question/{question.id}",
                                               "tender_question_asked", [audience], values)  # fmt: skip
    return row
