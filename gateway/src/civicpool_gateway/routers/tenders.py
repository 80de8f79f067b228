"""Joint tenders: from a closed round to lots, sealed bids, evaluation, award and the OCDS export.

The tenders service decides who may see and do what (see its service module);
the gateway checks roles coarsely and maps messages.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.tenders.v1 import tenders_pb2 as pb
from civicpool_common.auth import Role
from civicpool_common.vocabulary import HostingRegion, TenderStatus, to_proto
from fastapi import APIRouter, Depends, Header, Query, Response, status

from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep, ServiceClients
from civicpool_gateway.contract_schemas import CONTRACT_SHAPE
from civicpool_gateway.convert import PLAIN
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.tender_schemas import (
    BID_SHAPE,
    TENDER_SHAPE,
    AwardBody,
    AwardResult,
    Bid,
    BidFields,
    BidReplace,
    CancelBody,
    EvaluateBody,
    Evaluation,
    Tender,
    TenderCreate,
    TenderListParams,
    TenderPatch,
)
from civicpool_gateway.versioning import call_write, expected_version, optional_version, patch_request, versioned_out

router = APIRouter(tags=["tenders"])
LeadDep = Annotated[Caller, Depends(requires(Role.PROCUREMENT_LEAD))]
VendorDep = Annotated[Caller, Depends(requires(Role.VENDOR))]
IfMatch = Annotated[str | None, Header(description="The ETag you read; optional, checked when sent")]
TRANSITION_NOTE = (
    "Only a procurement lead of the lead city. A transition the status forbids answers 409 naming the current "
    "status (`current_status`)."
)


def tender_out(message: pb.Tender, response: Response | None = None) -> Tender:
    return versioned_out(Tender, TENDER_SHAPE, message, response)


def bid_out(message: pb.Bid, response: Response | None = None) -> Bid:
    return versioned_out(Bid, BID_SHAPE, message, response)


@router.get("/tenders", summary="List joint tenders", response_model=Page[Tender])
async def list_tenders(caller: CallerDep, services: ClientsDep, params: Annotated[TenderListParams, Query()]) -> Any:
    request = pb.ListTendersRequest(page=params.page(), status=to_proto(params.status, pb.TenderStatus, TenderStatus))
    reply = await services.call("tenders", services.tenders.ListTenders, request, caller.token)
    return {"data": [tender_out(t) for t in reply.tenders], "next_cursor": reply.next_cursor or None}


@router.post(
    "/tenders",
    summary="Make a draft tender from a closed demand round",
    description="One lot per item (or per group you name), each with the total quantity and every city's share "
    "copied from the round; the round becomes `bundled`. The tender recommends an award procedure from its "
    "estimated net value. Sending the same round again returns the tender made the first time.",
    response_model=Tender,
    status_code=status.HTTP_201_CREATED,
)
async def create_tender(body: TenderCreate, caller: LeadDep, services: ClientsDep, response: Response) -> Any:
    request = pb.CreateTenderRequest(
        round_id=body.round_id,
        title=body.title,
        description=body.description,
        lot_groups=[pb.LotGroup(title=g.title, item_ids=g.item_ids) for g in body.lot_groups],
    )
    reply = await services.call("tenders", services.tenders.CreateTender, request, caller.token)
    response.headers["Location"] = f"/api/v1/tenders/{reply.id}"
    return tender_out(reply, response)


@router.get("/tenders/{id}", summary="Read a tender with its lots", response_model=Tender)
async def get_tender(id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response) -> Any:
    reply = await services.call("tenders", services.tenders.GetTender, pb.GetTenderRequest(id=id), caller.token)
    return tender_out(reply, response)


@router.patch(
    "/tenders/{id}",
    summary="Change a tender",
    description="A draft changes its title, description, `bids_due_at` and procedure (another than the "
    "recommended one needs `procedure_justification`); a published tender only a later `bids_due_at`. "
    "Send the version you edited: the ETag as `If-Match` (412 when stale) or `version` (409).",
    response_model=Tender,
)
async def update_tender(
    id: ResourceId, body: TenderPatch, caller: LeadDep, services: ClientsDep, response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:  # fmt: skip
    patch = patch_request(body, if_match)
    message = pb.Tender(id=id, **TENDER_SHAPE.to_proto_fields(patch.changes))
    request = pb.UpdateTenderRequest(tender=message, update_mask=patch.mask, expected_version=patch.version)
    reply = await call_write(services, "tenders", "UpdateTender", request, caller, via_if_match=patch.via_if_match)
    assert isinstance(reply, pb.Tender)
    return tender_out(reply, response)


async def _transition(
    services: ServiceClients, rpc: str, id: str, caller: Caller, response: Response, if_match: str | None,
    reason: str = "",
) -> Tender:  # fmt: skip
    version, via_if_match = optional_version(if_match)
    request = pb.TenderTransitionRequest(id=id, expected_version=version, reason=reason)
    reply = await call_write(services, "tenders", rpc, request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Tender)
    return tender_out(reply, response)


@router.post("/tenders/{id}/publish", summary="Publish a draft tender for bids", response_model=Tender,
             description=TRANSITION_NOTE + " Needs `bids_due_at` in the future.")  # fmt: skip
async def publish_tender(
    id: ResourceId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Any:
    return await _transition(services, "PublishTender", id, caller, response, if_match)


@router.post(
    "/tenders/{id}/close-bidding",
    summary="Close bidding and open the bids",
    description=TRANSITION_NOTE + " Allowed once `bids_due_at` has passed; the opening is recorded (who, when, "
    "how many bids). Until then nobody but each vendor reads its own bid.",
    response_model=Tender,
)
async def close_bidding(
    id: ResourceId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Any:
    return await _transition(services, "CloseBidding", id, caller, response, if_match)


@router.post("/tenders/{id}/cancel", summary="Cancel a tender, with a reason", response_model=Tender,
             description=TRANSITION_NOTE)  # fmt: skip
async def cancel_tender(
    id: ResourceId, body: CancelBody, caller: LeadDep, services: ClientsDep, response: Response,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    return await _transition(services, "CancelTender", id, caller, response, if_match, body.reason)


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
) -> Any:  # fmt: skip
    version, via_if_match = expected_version(if_match, body.version) if if_match or body.version else (0, False)
    request = pb.EvaluateTenderRequest(
        tender_id=id,
        expected_version=version,
        weights=pb.Weights(**body.weights.model_dump()),
        scores=[pb.BidScoreInput(**s.model_dump(exclude_none=True)) for s in body.scores],
    )
    reply = await call_write(services, "tenders", "EvaluateTender", request, caller, via_if_match=via_if_match)
    return PLAIN.from_proto(reply)


@router.get("/tenders/{id}/evaluation", summary="The stored score table", response_model=Evaluation)
async def get_evaluation(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Any:
    reply = await services.call("tenders", services.tenders.GetEvaluation, pb.GetTenderRequest(id=id), caller.token)
    return PLAIN.from_proto(reply)


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
) -> Any:  # fmt: skip
    version, via_if_match = expected_version(if_match, body.version) if if_match or body.version else (0, False)
    request = pb.AwardTenderRequest(
        tender_id=id,
        expected_version=version,
        awards=[pb.LotAward(**a.model_dump()) for a in body.awards],
        starts_on=body.starts_on.isoformat() if body.starts_on else "",
        ends_on=body.ends_on.isoformat() if body.ends_on else "",
        renewal_notice_on=body.renewal_notice_on.isoformat() if body.renewal_notice_on else "",
    )
    reply = await call_write(services, "tenders", "AwardTender", request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.AwardResult)
    return {
        "tender": tender_out(reply.tender),
        "contracts": [CONTRACT_SHAPE.from_proto(c) for c in reply.contracts],
        "contracts_pending": reply.contracts_pending,
    }


@router.get(
    "/tenders/{id}/ocds",
    summary="The tender as an OCDS 1.1 release package",
    description="Open Contracting Data Standard: the lead city as procuring entity, every participating city "
    "as a buyer, lots, awards, and one contract entry per framework contract and buyer city.",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def tender_ocds(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Response:
    reply = await services.call("tenders", services.tenders.ExportOcds, pb.GetTenderRequest(id=id), caller.token)
    return Response(reply.json, media_type="application/json")


# -- bids -----------------------------------------------------------------------------------------


def _bid_message(body: BidFields, bid_id: str = "") -> pb.Bid:
    return pb.Bid(
        id=bid_id,
        lot_id=body.lot_id,
        prices=[
            pb.BidPrice(
                item_id=p.item_id,
                unit_price_cents=p.unit_price_cents,
                tiers=[pb.VolumeTier(**t.model_dump()) for t in p.tiers],
            )
            for p in body.prices
        ],
        delivery_days=body.delivery_days,
        hosting_region=to_proto(body.hosting_region, catalog_pb.HostingRegion, HostingRegion),
        dpa_offered=body.dpa_offered,
        open_source=body.open_source,
    )


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
) -> Any:  # fmt: skip
    request = pb.ListBidsRequest(tender_id=id, lot_id=lot_id or "")
    reply = await services.call("tenders", services.tenders.ListBids, request, caller.token)
    return {"data": [bid_out(b) for b in reply.bids], "next_cursor": None}


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
) -> Any:
    request = pb.SubmitBidRequest(tender_id=id, bid=_bid_message(body))
    reply = await services.call("tenders", services.tenders.SubmitBid, request, caller.token)
    response.headers["Location"] = f"/api/v1/tenders/{id}/bids/{reply.id}"
    return bid_out(reply, response)


@router.put(
    "/tenders/{id}/bids/{bid_id}",
    summary="Replace your bid (vendors)",
    description="Until `bids_due_at`. Send the version you replace: the ETag as `If-Match` or `version`.",
    response_model=Bid,
)
async def replace_bid(
    id: ResourceId, bid_id: ResourceId, body: BidReplace, caller: VendorDep, services: ClientsDep,
    response: Response, if_match: Annotated[str | None, Header()] = None,
) -> Any:  # fmt: skip
    version, via_if_match = expected_version(if_match, body.version)
    request = pb.SubmitBidRequest(tender_id=id, bid=_bid_message(body, bid_id), expected_version=version)
    reply = await call_write(services, "tenders", "ReplaceBid", request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Bid)
    return bid_out(reply, response)


@router.post("/tenders/{id}/bids/{bid_id}/withdraw", summary="Withdraw your bid (vendors)", response_model=Bid,
             description="Until `bids_due_at`. You may submit a new bid on the lot afterwards.")  # fmt: skip
async def withdraw_bid(
    id: ResourceId, bid_id: ResourceId, caller: VendorDep, services: ClientsDep, response: Response,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    version, via_if_match = optional_version(if_match)
    request = pb.WithdrawBidRequest(tender_id=id, bid_id=bid_id, expected_version=version)
    reply = await call_write(services, "tenders", "WithdrawBid", request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Bid)
    return bid_out(reply, response)
