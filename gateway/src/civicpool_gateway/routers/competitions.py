"""Mini-competitions under a framework with several vendors (§ 21 (5) VgV): invite, offer, decide."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from civicpool_gateway.auth import CallerDep, VendorDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import MiniCompetition, MiniCompetitionBody, OfferBody
from civicpool_gateway.routers.contracts import IdempotencyKey, mark_replayed
from civicpool_gateway.schemas import ListParams, Page, ResourceId

router = APIRouter(tags=["mini-competitions"])
SEALED = (
    "Offers are sealed until the deadline: a vendor sees only its own offer, the buyers none before it is due. "
    "Leads and admins see every mini-competition; the framework's vendors theirs, without the cities' shares; a "
    "city those it calls off in."
)


@router.post(
    "/frameworks/{id}/mini-competitions",
    summary="Invite the framework's vendors to offer for concrete quantities",
    description="A call-off by renewed competition (§ 21 (5) VgV) under a framework with several vendors "
    "(`framework.id` of its contracts): a city's IT for its own city, a lead of the lead city for several of the "
    "framework's cities. Each quantity must fit the city's framework quota now; the deadline lies in the future, "
    "at most 30 days ahead. " + SEALED,
    response_model=MiniCompetition,
    status_code=status.HTTP_201_CREATED,
)
async def start_mini_competition(
    id: ResourceId, body: MiniCompetitionBody, caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MiniCompetition:  # fmt: skip
    competition = await services.contracts.start_mini_competition(id, body, idempotency_key, caller.token)
    mark_replayed(competition.replayed, response)
    return competition


@router.get(
    "/frameworks/{id}/mini-competitions",
    summary="A framework's mini-competitions",
    description="Oldest first. " + SEALED,
    response_model=Page[MiniCompetition],
)
async def list_mini_competitions(
    id: ResourceId, caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]
) -> Page[MiniCompetition]:
    return await services.contracts.list_mini_competitions(id, params, caller.token)


@router.get(
    "/mini-competitions/{id}",
    summary="Read a mini-competition",
    description=SEALED,
    response_model=MiniCompetition,
)
async def get_mini_competition(id: ResourceId, caller: CallerDep, services: ClientsDep) -> MiniCompetition:
    return await services.contracts.get_mini_competition(id, caller.token)


@router.put(
    "/mini-competitions/{id}/offer",
    summary="Offer, or offer anew, in a mini-competition (vendors)",
    description="Until the deadline, by a vendor of the framework: a unit price at most its framework price (the "
    "quality and data-protection scores of the evaluation stay). Late offers are refused.",
    response_model=MiniCompetition,
)
async def submit_offer(id: ResourceId, body: OfferBody, caller: VendorDep, services: ClientsDep) -> MiniCompetition:
    return await services.contracts.submit_offer(id, body, caller.token)


@router.post(
    "/mini-competitions/{id}/decision",
    summary="Open the offers once due and call off at the best one's price",
    description="By the city that invited the offers or a lead of the lead city, once the deadline has passed: the "
    "offers are ranked by the framework's weights (the offered price; each vendor's quality and data protection as "
    "evaluated) and the best becomes one call-off per city at its offered price, under the same guards as every "
    "call-off (the city's framework quota, the framework's maximum), in one transaction. Without an offer nothing "
    "is called off (`no_offers`). Once per mini-competition.",
    response_model=MiniCompetition,
)
async def decide_mini_competition(
    id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response, idempotency_key: IdempotencyKey = None
) -> MiniCompetition:
    competition = await services.contracts.decide_mini_competition(id, idempotency_key, caller.token)
    mark_replayed(competition.replayed, response)
    return competition
