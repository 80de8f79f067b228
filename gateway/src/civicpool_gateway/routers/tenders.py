"""Joint tenders: from a closed round to lots, sealed bids, evaluation, award and the OCDS export.

The tenders service decides who may see and do what (see its service module);
the gateway checks roles coarsely and maps messages.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from civicpool_gateway.auth import CallerDep, LeadDep, VendorDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.tender_schemas import (
    AwardBody,
    AwardResult,
    Bid,
    BidFields,
    BidReplace,
    CancelBody,
    EvaluateBody,
    Evaluation,
    ExternalAwardBody,
    Tender,
    TenderCreate,
    TenderListParams,
    TenderPatch,
)
from civicpool_gateway.versioning import expected_version, optional_version, patch_version, version_if_named, with_etag

router = APIRouter(tags=["tenders"])
IfMatch = Annotated[str | None, Header(description="The ETag you read; optional, checked when sent")]
TRANSITION_NOTE = (
    "Only a procurement lead of the lead city. A transition the status forbids answers 409 naming the current "
    "status (`current_status`)."
)


@router.get("/tenders", summary="List joint tenders", response_model=Page[Tender])
async def list_tenders(
    caller: CallerDep, services: ClientsDep, params: Annotated[TenderListParams, Query()]
) -> Page[Tender]:
    return await services.tenders.list_tenders(params, caller.token)


@router.post(
    "/tenders",
    summary="Make a draft tender from a closed demand round",
    description="One lot per item (or per group you name), each with the total quantity and every city's share "
    "copied from the round; the round becomes `bundled`. The tender recommends an award procedure from its "
    "estimated net value. Sending the same round again returns the tender made the first time.",
    response_model=Tender,
    status_code=status.HTTP_201_CREATED,
)
async def create_tender(body: TenderCreate, caller: LeadDep, services: ClientsDep, response: Response) -> Tender:
    tender = await services.tenders.create_tender(body, caller.token)
    response.headers["Location"] = f"/api/v1/tenders/{tender.id}"
    return with_etag(tender, response)


@router.get("/tenders/{id}", summary="Read a tender with its lots", response_model=Tender)
async def get_tender(id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response) -> Tender:
    return with_etag(await services.tenders.get_tender(id, caller.token), response)


@router.patch(
    "/tenders/{id}",
    summary="Change a tender",
    description="A draft changes its title, description, `bids_due_at`, `questions_due_at` and procedure "
    "(another than the recommended one needs `procedure_justification`); a published tender only a later "
    "`bids_due_at` or `questions_due_at`. "
    "Send the version you edited: the ETag as `If-Match` (412 when stale) or `version` (409).",
    response_model=Tender,
)
async def update_tender(
    id: ResourceId, body: TenderPatch, caller: LeadDep, services: ClientsDep, response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Tender:  # fmt: skip
    expected = patch_version(body, if_match)
    return with_etag(await services.tenders.update_tender(id, body, expected, caller.token), response)


@router.post("/tenders/{id}/publish", summary="Publish a draft tender for bids", response_model=Tender,
             description=TRANSITION_NOTE + " Needs `bids_due_at` in the future.")  # fmt: skip
async def publish_tender(
    id: ResourceId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Tender:
    expected = optional_version(if_match)
    return with_etag(await services.tenders.publish_tender(id, expected, caller.token), response)


@router.post(
    "/tenders/{id}/close-bidding",
    summary="Close bidding and open the bids",
    description=TRANSITION_NOTE + " Allowed once `bids_due_at` has passed; the opening is recorded (who, when, "
    "how many bids). Until then nobody but each vendor reads its own bid.",
    response_model=Tender,
)
async def close_bidding(
    id: ResourceId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Tender:
    expected = optional_version(if_match)
    return with_etag(await services.tenders.close_bidding(id, expected, caller.token), response)


@router.post("/tenders/{id}/cancel", summary="Cancel a tender, with a reason", response_model=Tender,
             description=TRANSITION_NOTE)  # fmt: skip
async def cancel_tender(
    id: ResourceId, body: CancelBody, caller: LeadDep, services: ClientsDep, response: Response,
    if_match: IfMatch = None,
) -> Tender:  # fmt: skip
    expected = optional_version(if_match)
    return with_etag(await services.tenders.cancel_tender(id, body.reason, expected, caller.token), response)


@router.post(
    "/tenders/{id}/evaluate",
    summary="Score the opened bids (MEAT) and store the score table",
    description="Weights for price, quality and data protection sum to 100 (422 otherwise). Every submitted "
    "bid gets a quality score (0-100); data protection defaults to the score proposed from the bid's "
    "declarations, another score needs a reason. Price score: lowest price / this price x 100. Ranking per "
    "lot by total; ties go to the lower price, then the higher data protection, then the higher quality, then "
    "a reproducible draw (SHA-256 of tender and vendor id). May be repeated until the award.",
    response_model=Evaluation,
)
async def evaluate_tender(
    id: ResourceId, body: EvaluateBody, caller: LeadDep, services: ClientsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Evaluation:  # fmt: skip
    expected = version_if_named(if_match, body.version)
    return await services.tenders.evaluate_tender(id, body, expected, caller.token)


@router.get("/tenders/{id}/evaluation", summary="The stored score table", response_model=Evaluation)
async def get_evaluation(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Evaluation:
    return await services.tenders.get_evaluation(id, caller.token)


@router.post(
    "/tenders/{id}/award",
    summary="Award the lots and create the framework contracts",
    description="One decision per lot with bids; a bid that does not rank first needs a justification. Each "
    "awarded lot item becomes a framework contract: the bid's unit price (its volume tier at the tendered "
    "quantity), the lot quantity as ceiling, each city's quota from the snapshot.",
    response_model=AwardResult,
)
async def award_tender(
    id: ResourceId, body: AwardBody, caller: LeadDep, services: ClientsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> AwardResult:  # fmt: skip
    expected = version_if_named(if_match, body.version)
    return await services.tenders.award_tender(id, body, expected, caller.token)


@router.post(
    "/tenders/external-awards",
    summary="Record an award made on another platform",
    description="A procedure run on another e-procurement platform (e.g. the state's), recorded with its award "
    "from a closed demand round of your city: the round's lines are the cities' quotas and the round is bundled "
    "into the recorded tender. Every item of the round is in one lot, with its maximum quantity (at least the "
    "round's) and its estimated one; each lot's vendors with their unit prices, in the order of the cascade "
    "(several vendors make a framework with several vendors). The tender is stored as awarded and its contracts "
    "are active from `starts_on`: call-offs, the pool, the ledger, reports and renewals work as for our own "
    "tenders, and the OCDS export says where the procedure ran. A procurement lead of the round's city.",
    response_model=AwardResult,
    status_code=status.HTTP_201_CREATED,
)
async def record_external_award(body: ExternalAwardBody, caller: LeadDep, services: ClientsDep) -> AwardResult:
    return await services.tenders.record_external_award(body, caller.token)


@router.get(
    "/tenders/{id}/ocds",
    summary="The tender as an OCDS 1.1 release package",
    description="Open Contracting Data Standard: the lead city as procuring entity, every participating city "
    "as a buyer, lots, awards, and one contract entry per framework contract and buyer city.",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def tender_ocds(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Response:
    return Response(await services.tenders.export_ocds(id, caller.token), media_type="application/json")


# -- bids -----------------------------------------------------------------------------------------


@router.get(
    "/tenders/{id}/bids",
    summary="Bids of a tender",
    description="A vendor sees its own bids, always. The lead city and admins see the submitted bids once "
    "bidding is closed; before that the bids are sealed (409).",
    response_model=Page[Bid],
)
async def list_bids(
    id: ResourceId, caller: CallerDep, services: ClientsDep,
    lot_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[Bid]:  # fmt: skip
    return await services.tenders.list_bids(id, lot_id, caller.token)


@router.post(
    "/tenders/{id}/bids",
    summary="Submit a sealed bid on a lot (vendors)",
    description="Until `bids_due_at`; one bid per vendor and lot (replace or withdraw it after). Nobody else "
    "reads it before bidding is closed.",
    response_model=Bid,
    status_code=status.HTTP_201_CREATED,
)
async def submit_bid(
    id: ResourceId, body: BidFields, caller: VendorDep, services: ClientsDep, response: Response
) -> Bid:
    bid = await services.tenders.submit_bid(id, body, caller.token)
    response.headers["Location"] = f"/api/v1/tenders/{id}/bids/{bid.id}"
    return with_etag(bid, response)


@router.put(
    "/tenders/{id}/bids/{bid_id}",
    summary="Replace your bid (vendors)",
    description="Until `bids_due_at`. Send the version you replace: the ETag as `If-Match` or `version`.",
    response_model=Bid,
)
async def replace_bid(
    id: ResourceId, bid_id: ResourceId, body: BidReplace, caller: VendorDep, services: ClientsDep,
    response: Response, if_match: Annotated[str | None, Header()] = None,
) -> Bid:  # fmt: skip
    expected = expected_version(if_match, body.version)
    return with_etag(await services.tenders.replace_bid(id, bid_id, body, expected, caller.token), response)


@router.post("/tenders/{id}/bids/{bid_id}/withdraw", summary="Withdraw your bid (vendors)", response_model=Bid,
             description="Until `bids_due_at`. You may submit a new bid on the lot afterwards.")  # fmt: skip
async def withdraw_bid(
    id: ResourceId, bid_id: ResourceId, caller: VendorDep, services: ClientsDep, response: Response,
    if_match: IfMatch = None,
) -> Bid:  # fmt: skip
    expected = optional_version(if_match)
    return with_etag(await services.tenders.withdraw_bid(id, bid_id, expected, caller.token), response)
