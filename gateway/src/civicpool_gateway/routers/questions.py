"""Bidder questions and answers of a tender (§ 20 (3) VgV): vendors ask, the lead city answers for everyone."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from civicpool_gateway.auth import CallerDep, LeadDep, VendorDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.tender_schemas import AnswerBody, ClarificationBody, Question, QuestionAsk
from civicpool_gateway.versioning import version_if_named, with_etag

router = APIRouter(tags=["tenders"])
SIX_DAYS = (
    "Only while at least 6 days (Berlin calendar) remain before `bids_due_at` (§ 20 (3) VgV); later 409 names "
    "the earliest deadline that allows it: extend the deadline first. Every vendor is told by e-mail."
)


@router.get(
    "/tenders/{id}/questions",
    summary="Questions and answers of a tender",
    description="Unanswered questions first (only the lead city's leads, the admins and the asker see them), "
    "then the answered ones and clarifications in the order asked. Who asked is shown only to the lead city's "
    "leads and the admins; a vendor sees its own marked `asked_by_you`.",
    response_model=Page[Question],
)
async def list_questions(
    id: ResourceId, caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]
) -> Page[Question]:
    return await services.tenders.list_questions(id, params, caller.token)


@router.post(
    "/tenders/{id}/questions",
    summary="Ask the lead city a question about a tender",
    description="A vendor, on a published tender, until the tender's `questions_due_at` (by default 6 days, "
    "Berlin calendar, before `bids_due_at`); a later question is refused (409) with the time questions "
    "closed. The answer is published to every vendor without your name.",
    response_model=Question,
    status_code=status.HTTP_201_CREATED,
)
async def ask_question(id: ResourceId, body: QuestionAsk, caller: VendorDep, services: ClientsDep) -> Question:
    return await services.tenders.ask_question(id, body.question, caller.token)


@router.post(
    "/tenders/{id}/questions/{question_id}/answer",
    summary="Answer a bidder question for every vendor",
    description="A procurement lead of the lead city, once per question. " + SIX_DAYS,
    response_model=Question,
)
async def answer_question(
    id: ResourceId, question_id: ResourceId, body: AnswerBody, caller: LeadDep, services: ClientsDep,
    response: Response, if_match: Annotated[str | None, Header()] = None,
) -> Question:  # fmt: skip
    expected = version_if_named(if_match, body.version)
    return with_etag(await services.tenders.answer_question(id, question_id, body.answer, expected, caller.token),
                     response)  # fmt: skip


@router.post(
    "/tenders/{id}/clarifications",
    summary="Publish a clarification nobody asked for",
    description="A procurement lead of the lead city; listed with the questions (an empty `question`). " + SIX_DAYS,
    response_model=Question,
    status_code=status.HTTP_201_CREATED,
)
async def publish_clarification(
    id: ResourceId, body: ClarificationBody, caller: LeadDep, services: ClientsDep
) -> Question:
    return await services.tenders.publish_clarification(id, body.text, caller.token)
