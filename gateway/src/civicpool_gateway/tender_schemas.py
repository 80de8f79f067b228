"""REST bodies of the tender endpoints: tenders and their lots, bids, the evaluation and the award."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from civicpool_common.vocabulary import (
    BidOutcome,
    BidStatus,
    ComplaintOutcome,
    HostingRegion,
    Procedure,
    TenderStatus,
)
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.contract_schemas import Contract
from civicpool_gateway.schemas import Cents, CityShare, Day, ListParams, Patch, Request, Text, UtcDatetime, Version

ItemId = Annotated[str, Field(min_length=1, max_length=64)]
Score = Annotated[int, Field(strict=True, ge=0, le=100)]
Weight = Annotated[int, Field(strict=True, ge=0, le=100)]


# -- tenders ------------------------------------------------------------------------------------


class LotGroup(Request):
    title: str = Field("", max_length=200, description="Default: the items' names")
    item_ids: list[ItemId] = Field(min_length=1, max_length=500)


class TenderCreate(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"round_id": "01J9Z6X8Q5W3V2T1S0R9P8N7M6"}]})

    round_id: str = Field(min_length=1, max_length=64, description="A closed demand round of your city")
    title: str = Field("", max_length=200, description="Default: the round's title")
    description: str = Field("", max_length=4000)
    lot_groups: list[LotGroup] = Field(
        default_factory=list,
        max_length=500,
        description="Items to tender together as one lot; every other item gets a lot of its own",
    )


class TenderPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bids_due_at": "2027-03-01T12:00:00Z", "version": 1}]})

    clearable = frozenset({"procedure_justification", "questions_due_at"})

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    bids_due_at: UtcDatetime | None = None
    standstill: bool | None = Field(
        None,
        description="Below the EU threshold: wait out a standstill after the award (§ 134 GWB); at or above it "
        "always on. Draft or published only",
    )
    questions_due_at: UtcDatetime | None = Field(
        None,
        description="Until when vendors ask questions: before `bids_due_at`; once published only later. "
        "null returns to the default, 6 Berlin calendar days before `bids_due_at`",
    )
    procedure: Procedure | None = None
    procedure_justification: str | None = Field(None, max_length=2000)
    version: Version | None = None


class LotItem(BaseModel):
    item_id: str
    sku: str
    name: str
    unit: str
    cpv_code: str
    kind: str
    reference_price_cents: int
    quantity: int
    estimated_cents: int
    shares: list[CityShare] = Field(description="Each city's share, copied from the closed round (not for vendors)")


class Lot(BaseModel):
    id: str
    number: int
    title: str
    estimated_value_cents: int
    items: list[LotItem]
    awarded_bid_id: str
    framework_bid_ids: list[str] = Field(
        default_factory=list,
        description="A framework with several vendors: every awarded bid in the order of the cascade "
        "(`awarded_bid_id` first); empty when the lot has one vendor",
    )


class TenderEvent(BaseModel):
    action: str
    actor: str
    at: dt.datetime
    detail: str


class ExternalProcedure(BaseModel):
    platform: str = Field(description="The e-procurement platform the procedure ran on")
    notice_number: str
    notice_date: dt.date


class Tender(BaseModel):
    id: str
    reference: str = Field(
        description="Readable number besides the id, e.g. ETT-2026-007: the lead city's tenders of the year "
        "(Europe/Berlin), numbered without gaps"
    )
    title: str
    description: str
    lead_city_id: str
    round_id: str
    status: TenderStatus
    estimated_value_cents: int = Field(description="Net, cents; 0 for vendors")
    participating_city_ids: list[str]
    recommended_procedure: Procedure | None = Field(description="null for vendors")
    recommendation_reason: str
    procedure: Procedure
    procedure_justification: str | None
    bids_due_at: dt.datetime | None
    questions_due_at: dt.datetime | None = Field(
        description="Until when vendors ask questions: the tender's own time, or 6 Berlin calendar days before "
        "`bids_due_at` (§ 20 (3) VgV); null while there is no deadline"
    )
    standstill: bool = Field(
        description="The award waits out a standstill (§ 134 GWB): on at or above the EU threshold, switchable below"
    )
    standstill_ends_on: dt.date | None = Field(
        description="Set at the award: the standstill's last day (Europe/Berlin); see /tenders/{id}/standstill"
    )
    contracts_activated_at: dt.datetime | None = Field(description="When the lead confirmed the contracts signed")
    external: ExternalProcedure | None = Field(
        None, description="Set when the procedure ran on another platform and its award was recorded here"
    )
    bids_opened_at: dt.datetime | None
    bids_opened_by: str | None
    cancel_reason: str | None
    lots: list[Lot] = Field(description="Empty in lists; read the tender for its lots")
    events: list[TenderEvent] = Field(description="Who did what, when (not for vendors)")
    version: int
    created_by: str
    created_at: dt.datetime


class TenderListParams(ListParams):
    status: TenderStatus | None = Field(None, description="Only tenders in this status")
    reference: str | None = Field(
        None, max_length=40, description="The tender with this reference number (any case), e.g. ETT-2026-007"
    )


class CancelBody(Request):
    reason: str = Field(min_length=1, max_length=2000, examples=["Haushaltssperre"])


# -- bids ---------------------------------------------------------------------------------------


# A bid's price: the service refuses 0 and says why (it would give every other bid 0 points on price).
BidCents = Annotated[
    Cents, Field(description="Euro cents, net; at least 1 (an unusually low offer is explained, not entered as 0)")
]


class VolumeTier(BaseModel):
    min_quantity: int = Field(strict=True, ge=2, le=10**9, description="From this quantity on")
    unit_price_cents: BidCents


class BidPrice(BaseModel):
    item_id: ItemId
    unit_price_cents: BidCents
    tiers: list[VolumeTier] = Field(default_factory=list, max_length=20)


class BidFields(Request):
    lot_id: str = Field(min_length=1, max_length=64)
    prices: list[BidPrice] = Field(min_length=1, max_length=500, description="One price per item of the lot")
    delivery_days: int = Field(strict=True, ge=0, le=3650, examples=[14])
    hosting_region: HostingRegion | None = Field(None, description="Where data is hosted; null: nothing off-site")
    dpa_offered: bool = Field(description="A data-processing agreement (Art. 28 GDPR) is offered")
    open_source: bool


class BidReplace(BidFields):
    lot_id: str = Field("", max_length=64, description="Optional; a bid stays on its lot")
    version: Version | None = None


class Bid(BaseModel):
    id: str
    tender_id: str
    lot_id: str
    vendor_id: str
    status: BidStatus
    prices: list[BidPrice]
    delivery_days: int
    hosting_region: HostingRegion | None
    dpa_offered: bool
    open_source: bool
    version: int
    submitted_by: str
    submitted_at: dt.datetime
    updated_at: dt.datetime
    evaluated_price_cents: int = Field(description="The lot's quantities at these (tiered) unit prices")
    data_protection_proposed: int
    data_protection_basis: str
    outcome: BidOutcome


# -- documents ----------------------------------------------------------------------------------


class DocumentVersion(BaseModel):
    version: int
    file_name: str
    media_type: str = Field(description="As found in the file's content, not as its name says")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the file: compare it with what you downloaded")
    uploaded_by: str
    uploaded_at: dt.datetime
    after_publication: bool = Field(description="A change after the tender was published: every vendor was told")


class Document(BaseModel):
    id: str
    tender_id: str
    bid_id: str | None = Field(description="The bid whose document it is; null for the tender's own")
    title: str
    version: int = Field(description="The current version (the ETag); send it as If-Match to add the next")
    versions: list[DocumentVersion] = Field(description="Oldest first; the last one is current")


# -- questions ----------------------------------------------------------------------------------


class Question(BaseModel):
    id: str
    tender_id: str
    question: str = Field(description='The question; "" for a clarification the lead city published unprompted')
    asked_at: dt.datetime
    answer: str | None = Field(description="null while unanswered")
    answered_at: dt.datetime | None
    answered_by: str | None
    vendor_id: str | None = Field(description="Who asked: shown only to the lead city's leads and the admins")
    asked_by: str | None = Field(description="Who asked: shown only to the lead city's leads and the admins")
    asked_by_you: bool = Field(description="Your own question")
    version: int


class QuestionAsk(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "Ist eine Teillieferung zulässig?"}]})

    question: str = Field(min_length=1, max_length=4000)


class AnswerBody(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"answer": "Ja, in zwei Teilen.", "version": 1}]})

    answer: str = Field(min_length=1, max_length=4000)
    version: Version | None = None


class ClarificationBody(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "Die Liefertermine in Abschnitt 3 gelten je Los."}]}
    )

    text: str = Field(min_length=1, max_length=4000)


# -- evaluation and award -----------------------------------------------------------------------


class Weights(BaseModel):
    price: Weight
    quality: Weight
    data_protection: Weight


class ScoreFields(Request):
    bid_id: str = Field(min_length=1, max_length=64)
    quality: Score
    data_protection: Score | None = Field(None, description="Default: the score proposed from the declarations")
    data_protection_reason: Text = Field("", description="Required when it differs from the proposal")
    quality_note: Text = ""


class EvaluateBody(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "weights": {"price": 60, "quality": 25, "data_protection": 15},
                    "scores": [{"bid_id": "01J9Z7A1B2C3D4E5F6G7H8J9K0", "quality": 80}],
                }
            ]
        }
    )

    weights: Weights = Field(examples=[{"price": 60, "quality": 25, "data_protection": 15}])
    scores: list[ScoreFields] = Field(max_length=5000)
    version: Version | None = None


class ScoreRow(BaseModel):
    lot_id: str
    bid_id: str
    vendor_id: str
    evaluated_price_cents: int
    price_score_milli: int = Field(description="Price score x 1000: lowest / this x 100")
    quality_score: int
    data_protection_score: int
    data_protection_proposed: int
    data_protection_reason: str
    total_score_milli: int
    rank: int
    quality_note: str
    tie_break: str = Field(description="Why it ranks above the next bid with an equal total")


class Evaluation(BaseModel):
    tender_id: str
    weights: Weights
    evaluated_by: str
    evaluated_at: dt.datetime | None
    rows: list[ScoreRow]
    tender_version: int


class LotAward(Request):
    lot_id: str = Field(min_length=1, max_length=64)
    bid_id: str = Field(min_length=1, max_length=64)
    justification: Text = Field("", description="Required unless the bid ranks first")
    vendors: int = Field(
        1,
        ge=1,
        le=10,
        description="More than 1: a framework agreement with the lot's best-ranked this many bids, one contract "
        "per vendor; `bid_id` must rank first. Call-offs go to them in rank order (the cascade) or by "
        "mini-competition; the maximum quantity and every city's quota hold for all of them together.",
    )


class AwardBody(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"awards": [{"lot_id": "01J9Z7L0T1A2B3C4D5E6F7G8H9", "bid_id": "01J9Z7A1B2C3D4E5F6G7H8J9K0"}]}]
        }
    )

    awards: list[LotAward] = Field(min_length=1, max_length=500)
    starts_on: Day | None = Field(None, description="Default: today (Europe/Berlin); not before today")
    ends_on: Day | None = Field(None, description="Default: two years after the start; at most four")
    renewal_notice_on: Day | None = Field(None, description="Default: 90 days before the end")
    version: Version | None = None


class ExternalPrice(Request):
    item_id: str = Field(min_length=1, max_length=64)
    unit_price_cents: int = Field(strict=True, ge=1, le=10**11)


class ExternalVendor(Request):
    vendor_id: str = Field(min_length=1, max_length=40)
    prices: list[ExternalPrice] = Field(min_length=1, max_length=50, description="One per item of the lot")


class ExternalItem(Request):
    item_id: str = Field(min_length=1, max_length=64)
    estimated_quantity: int = Field(0, strict=True, ge=0, le=1_000_000, description="0: the round's quantity")
    max_quantity: int = Field(strict=True, ge=1, le=1_000_000, description="At least the round's quantity")


class ExternalLot(Request):
    title: str = Field("", max_length=200)
    items: list[ExternalItem] = Field(min_length=1, max_length=50)
    vendors: list[ExternalVendor] = Field(
        min_length=1, max_length=10, description="In the order of the cascade; several make one framework per item"
    )


class ExternalAwardBody(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "round_id": "01J9Z7R0U1N2D3E4F5G6H7J8K9", "platform": "Vergabemarktplatz Baden-Württemberg",
                "notice_number": "2026/S 201-612345", "notice_date": "2026-10-15", "procedure": "open_eu",
                "lots": [{"title": "Notebooks",
                          "items": [{"item_id": "01J9Z7I1T2E3M4A5B6C7D8E9F0", "max_quantity": 80}],
                          "vendors": [{"vendor_id": "rheintal", "prices": [
                              {"item_id": "01J9Z7I1T2E3M4A5B6C7D8E9F0", "unit_price_cents": 84900}]}]}],
            }]
        }
    )  # fmt: skip

    round_id: str = Field(min_length=1, max_length=64, description="A closed round of your city: its lines are the "
                          "cities' quotas, and it is bundled into the recorded tender")  # fmt: skip
    title: str = Field("", max_length=200, description="Default: the round's title")
    description: str = Field("", max_length=4000)
    platform: str = Field(min_length=1, max_length=200, description="Where the procedure ran")
    notice_number: str = Field(min_length=1, max_length=100, description="The award notice's number there")
    notice_date: Day = Field(description="The award notice's date, not after today")
    procedure: Procedure
    lots: list[ExternalLot] = Field(min_length=1, max_length=50, description="Every item of the round in one lot")
    starts_on: Day | None = Field(None, description="Default: today (Europe/Berlin); not before today")
    ends_on: Day | None = Field(None, description="Default: two years after the start; at most four")
    renewal_notice_on: Day | None = Field(None, description="Default: 90 days before the end")


class AwardResult(BaseModel):
    tender: Tender
    contracts: list[Contract]
    contracts_pending: bool = Field(
        False,
        description="True when the contracts service did not confirm the contracts in time: the award stands, "
        "`contracts` is empty, and the contracts appear under /contracts?tender_id= as soon as it answers.",
    )


# -- after the award decision ---------------------------------------------------------------------


class InformationNoticeLot(BaseModel):
    lot_id: str
    lot_number: int
    lot_title: str
    winner_vendor_id: str
    winner_name: str
    rank: int = Field(description="Your bid's rank among `bidders`")
    bidders: int
    total_score_milli: int = Field(description="Your bid's score, in thousandths of a point")
    winner_score_milli: int
    evaluated_price_cents: int = Field(description="Your bid's evaluated price")
    winner_price_cents: int


class InformationNotice(BaseModel):
    id: str
    vendor_id: str
    lots: list[InformationNoticeLot] = Field(description="The lots your bid was not chosen for, and why")
    earliest_conclusion_on: dt.date = Field(description="The first day a contract may be concluded")
    sent_at: dt.datetime
    electronic: bool


class Standstill(BaseModel):
    tender_id: str
    applies: bool = Field(
        description="An award decision waits out its standstill; else the dates are null (its notices stay)"
    )
    sent_at: dt.datetime | None = Field(description="When the information notices went out")
    days: int | None = Field(description="10 calendar days when sent electronically (§ 134 (2) GWB)")
    last_day: dt.date | None = Field(
        description="Counted from the day after sending; a Saturday, Sunday or public holiday moves it to the next "
        "working day"
    )
    earliest_conclusion_on: dt.date | None
    legal_basis: str | None
    notices: list[InformationNotice] = Field(
        description="The lead city's leads and the admins: all; a vendor: its own; anyone else: none"
    )


class Complaint(BaseModel):
    id: str
    tender_id: str
    received_on: dt.date
    chamber: str
    reference: str | None
    note: str | None
    recorded_by: str
    recorded_at: dt.datetime
    outcome: ComplaintOutcome | None = Field(description="null while open")
    decided_on: dt.date | None
    outcome_note: str | None
    outcome_recorded_by: str | None
    outcome_recorded_at: dt.datetime | None
    version: int


class ComplaintBody(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"received_on": "2027-02-03", "chamber": "Vergabekammer Baden-Württemberg",
                                         "reference": "1 VK 12/27"}]}
    )  # fmt: skip

    received_on: Day = Field(description="When the chamber's application reached the lead city")
    chamber: str = Field(min_length=1, max_length=200)
    reference: str = Field("", max_length=100, description="The chamber's file number")
    note: str = Field("", max_length=4000)


class ComplaintOutcomeBody(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"outcome": "dismissed", "decided_on": "2027-02-20"}]})

    outcome: ComplaintOutcome
    decided_on: Day
    note: str = Field("", max_length=4000)
    version: Version | None = None
