"""After the award decision (§§ 134, 160, 169 GWB): the standstill and its information notices, review applications,
and the lead's confirmation that the contracts are signed."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from civicpool_gateway.auth import CallerDep, LeadDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.tender_schemas import AwardResult, Complaint, ComplaintBody, ComplaintOutcomeBody, Standstill
from civicpool_gateway.versioning import optional_version, version_if_named, with_etag

router = APIRouter(tags=["tenders"])
IfMatch = Annotated[str | None, Header()]


@router.get(
    "/tenders/{id}/standstill",
    summary="The standstill after the award decision, and its information notices",
    description="A tender with `standstill` (on at or above the EU threshold) awards its contracts `pending`, "
    "and every bidder not chosen for a lot gets an information notice (§ 134 (1) GWB): the winner, its own rank "
    "and score against the winner's, the first day a contract may be concluded. The standstill lasts 10 "
    "calendar days from the day after sending (§ 134 (2) GWB); a last day on a Saturday, Sunday or public "
    "holiday moves to the next working day. The lead city's leads and the admins read every notice, a vendor "
    "its own; everyone else who sees the tender the dates.",
    response_model=Standstill,
)
async def get_standstill(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Standstill:
    return await services.tenders.standstill(id, caller.token)


@router.post(
    "/tenders/{id}/activation",
    summary="Confirm the contracts signed once the standstill is over",
    description="A lead of the lead city, after the standstill's last day and with no review application "
    "open (§ 169 (1) GWB): the award's contracts become active, and call-offs may begin. Earlier, 409 names "
    "the first day it is allowed.",
    response_model=AwardResult,
)
async def activate_contracts(
    id: ResourceId, caller: LeadDep, services: ClientsDep, if_match: IfMatch = None
) -> AwardResult:
    return await services.tenders.activate_contracts(id, optional_version(if_match), caller.token)


@router.get(
    "/tenders/{id}/complaints",
    summary="Review applications against the award decision",
    description="Oldest first. The lead city's leads and the network's admins.",
    response_model=Page[Complaint],
)
async def list_complaints(
    id: ResourceId, caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]
) -> Page[Complaint]:
    return await services.tenders.complaints(id, params, caller.token)


@router.post(
    "/tenders/{id}/complaints",
    summary="Record a review application (Nachprüfungsantrag, § 160 GWB)",
    description="A lead of the lead city, while the award waits out its standstill: no contract is concluded "
    "until its outcome is recorded.",
    response_model=Complaint,
    status_code=status.HTTP_201_CREATED,
)
async def record_complaint(
    id: ResourceId, body: ComplaintBody, caller: LeadDep, services: ClientsDep, response: Response
) -> Complaint:
    return with_etag(await services.tenders.record_complaint(id, body, caller.token), response)


@router.post(
    "/tenders/{id}/complaints/{complaint_id}/outcome",
    summary="Record the chamber's outcome of a review application",
    description="`dismissed`: the contracts may be concluded after the standstill. `upheld`: the award is "
    "revoked, its pending contracts too (kept on record), and the tender returns to `evaluated` to be awarded "
    "again. Send the complaint's ETag as If-Match (or `version`) to be sure nobody recorded one meanwhile.",
    response_model=Complaint,
)
async def decide_complaint(
    id: ResourceId, complaint_id: ResourceId, body: ComplaintOutcomeBody, caller: LeadDep, services: ClientsDep,
    response: Response, if_match: IfMatch = None,
) -> Complaint:  # fmt: skip
    expected = version_if_named(if_match, body.version)
    complaint = await services.tenders.decide_complaint(id, complaint_id, body, expected, caller.token)
    return with_etag(complaint, response)
