"""REST bodies of the contract endpoints: framework contracts, their use (call-offs, the pool, quota shifts),
the ledger, budgets, the finance reports and renewals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from civicpool_common.vocabulary import ChangeKind, ContractStatus, LegalGround, MiniCompetitionStatus, PassOnCause
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.schemas import Cents, CityShare, ListParams, Request, Text, UtcDatetime, Version

# -- contracts ----------------------------------------------------------------------------------


ReferenceFilter = Field(
    None, max_length=40, description="The record with this reference number (any case), e.g. ETT-2026-003"
)


class FrameworkCityUse(BaseModel):
    city_id: str
    quota: int
    called_off: int = Field(description="From all the framework's vendors together")


class Framework(BaseModel):
    """A framework agreement with several vendors for one lot item: one contract per vendor."""

    id: str
    rank: int = Field(description="This contract's vendor's place in the cascade: 1 is called off first")
    vendors: int
    estimated_quantity: int
    max_quantity: int = Field(description="For all vendors' call-offs together (EU Court of Justice C-23/20)")
    estimated_value_cents: int
    max_value_cents: int
    called_off: int = Field(description="From all vendors together")
    called_off_value_cents: int = Field(description="At each call-off's price")
    quotas: list[FrameworkCityUse] = Field(
        description="Each city's quota for all vendors together; city users see their own city's only, vendors none"
    )


class Contract(BaseModel):
    id: str
    reference: str = Field(
        description="Readable number besides the id, e.g. ETT-2026-003: the lead city's "
        "contracts of the year (Europe/Berlin), numbered without gaps"
    )
    tender_id: str
    lot_id: str
    bid_id: str
    vendor_id: str
    lead_city_id: str
    item_id: str
    sku: str
    name: str
    unit: str
    kind: str
    unit_price_cents: int
    ceiling_quantity: int
    ceiling_value_cents: int
    starts_on: dt.date
    ends_on: dt.date
    renewal_notice_on: dt.date
    status: ContractStatus
    quotas: list[CityShare] = Field(description="Each city's quota; city users see their own city's only")
    version: int
    created_at: dt.datetime
    framework: Framework | None = Field(
        None, description="Set when the lot item was awarded to several vendors; then the framework's maximum and "
        "quotas decide, and `ceiling_quantity` and `quotas` repeat them for this vendor's contract"
    )  # fmt: skip


class ContractListParams(ListParams):
    tender_id: str | None = Field(None, max_length=64)
    city_id: str | None = Field(None, max_length=40, description="Contracts with a quota of this city")
    reference: str | None = ReferenceFilter


class CallOff(BaseModel):
    """A call-off under a contract as its vendor receives it: an order to deliver, and to invoice."""

    transaction_id: str
    reference: str = Field(description="The call-off's number, e.g. BRU-2026-012: the invoice's order reference "
                           "(BT-13)")  # fmt: skip
    city_id: str
    quantity: int
    unit_price_cents: int = Field(description="Net: the price the invoice states for it")
    called_off_at: dt.datetime
    reversed: bool = Field(description="Reversed, or passed on to another vendor: not to be invoiced")
    leitweg_id: str = Field(description="Where the city receives the invoice: its Leitweg-ID (BT-10)")
    billing_unit: str


# -- contracts in use ---------------------------------------------------------------------------

CityId = Annotated[str, Field(min_length=1, max_length=40, examples=["bruchsal"])]
Quantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000, examples=[10])]


class CallOffBody(Request):
    city_id: CityId
    quantity: Quantity
    from_pool: bool = Field(False, description="License contracts: take returned seats from the pool instead")


class ReturnBody(Request):
    city_id: CityId
    quantity: Quantity


class MoveBody(Request):
    from_city_id: CityId
    to_city_id: CityId
    quantity: Quantity


class QuotaShiftBody(MoveBody):
    reason: Text = ""
    add_party: bool = Field(
        False,
        description="to_city_id has no quota in the contract yet: make it a party on purpose (the framework must "
        "name it as a possible user). Needs a reason of at least 10 characters; the shift records it.",
    )


class ReverseBody(Request):
    reason: str = Field(min_length=1, max_length=2000, examples=["Fehlbuchung: falsche Stadt"])


class PassOnBody(Request):
    cause: PassOnCause = Field(description="declined: the vendor declined the call-off; not_in_time: it cannot "
                               "deliver in time")  # fmt: skip
    reason: str = Field(min_length=1, max_length=2000, examples=["Lieferzeit 12 Wochen statt der vereinbarten 3"])


class LedgerEntry(BaseModel):
    account: str = Field(description="city:<id> (negative: what the city owes), contract:<id>, pool:<id>")
    amount_cents: int


class LedgerTransaction(BaseModel):
    id: str
    kind: str
    contract_id: str
    memo: str
    reverses_id: str | None
    reference: str | None = Field(
        description="A call-off's number, e.g. BRU-2026-012 (the calling city's call-offs of the year); "
        "null for other postings"
    )
    contract_reference: str | None = Field(description="The contract's number, e.g. ETT-2026-003")
    text: str = Field(
        description="What the posting was, in the language of Accept-Language, "
        "e.g. 'Abruf 40 × Notebook 14 Zoll, Vertrag ETT-2026-003'"
    )
    created_by: str
    created_at: dt.datetime
    entries: list[LedgerEntry] = Field(description="They sum to zero")


class MovementRecord(BaseModel):
    city_id: str
    kind: str
    quantity: int
    amount_cents: int


class Operation(BaseModel):
    id: str
    kind: str
    contract_id: str
    movements: list[MovementRecord]
    transaction: LedgerTransaction
    replayed: bool = Field(description="Answered from an earlier request with the same Idempotency-Key")


class QuotaShift(BaseModel):
    id: str
    contract_id: str
    from_city_id: str
    to_city_id: str
    quantity: int
    reason: str
    created_by: str
    created_at: dt.datetime
    replayed: bool
    adds_party: bool = Field(description="The receiving city became a party to the contract by this shift")


# -- changes of contracts (§ 132 GWB) ------------------------------------------------------------


class QuotaAddition(Request):
    city_id: CityId
    quantity: Quantity


class ContractChangeBody(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "price_adjustment", "unit_price_cents": 91200, "index_name": "Destatis VPI 2020=100",
                 "justification": "Preisgleitklausel § 5 des Vertrags: VPI +1,4 % zum 1. Januar"},
                {"kind": "quantity_increase", "quota_additions": [{"city_id": "bruchsal", "quantity": 5}],
                 "justification": "Fünf zusätzliche Arbeitsplätze im Bürgerbüro Bruchsal"},
            ]
        }
    )  # fmt: skip

    kind: ChangeKind
    justification: str = Field(min_length=20, max_length=2000, description="Written: the file and the vendor read it")
    legal_ground: LegalGround | None = Field(
        None,
        description="A ground of § 132 (2) GWB; needed beyond the de-minimis limits and for every vendor succession",
    )
    unit_price_cents: Annotated[int, Field(strict=True, ge=1, le=10**11)] | None = Field(
        None, description="price_adjustment: the new net unit price"
    )
    index_name: str | None = Field(
        None, min_length=1, max_length=200, description="price_adjustment: the index of the contract's clause"
    )
    quota_additions: list[QuotaAddition] = Field(
        default_factory=list, max_length=100, description="quantity_increase: per city (a party), the quantity added"
    )
    ends_on: dt.date | None = Field(None, description="term_extension: the new last day")
    vendor_id: str | None = Field(
        None, min_length=1, max_length=40, description="vendor_succession: the vendor taking over"
    )
    version: Version | None = None


class ContractTerms(BaseModel):
    unit_price_cents: int
    ceiling_quantity: int
    ceiling_value_cents: int
    ends_on: dt.date
    vendor_id: str


class ContractChange(BaseModel):
    id: str
    contract_id: str
    sequence: int = Field(description="The contract's terms are version sequence + 1 after it (1: as awarded)")
    kind: ChangeKind
    justification: str
    legal_ground: LegalGround | None = Field(description="null: within the de-minimis limits")
    index_name: str | None
    quota_additions: list[CityShare] = Field(description="Only the cities whose quotas you see")
    before: ContractTerms
    after: ContractTerms
    value_change_cents: int = Field(description="Net: what this change is worth (§ 132 (3) GWB)")
    cumulative_change_cents: int = Field(description="Net: this change and every earlier one")
    reference_value_cents: int = Field(description="The original value the 10 % are of (at the higher indexed price)")
    de_minimis_limit_cents: int = Field(description="The lower of the EU threshold and 10 % of the reference value")
    changed_by: str
    changed_at: dt.datetime
    replayed: bool = Field(description="Answered from an earlier request with the same Idempotency-Key")


class ContractHistory(BaseModel):
    contract_id: str
    original: ContractTerms = Field(description="As awarded")
    current: ContractTerms
    changes: list[ContractChange] = Field(description="Oldest first")
    cumulative_change_cents: int
    reference_value_cents: int
    de_minimis_limit_cents: int
    de_minimis_left_cents: int = Field(description="What further changes may add without a ground of § 132 (2)")


class CityUse(BaseModel):
    city_id: str
    quota: int
    called_off: int
    returned: int
    taken: int
    holding: int = Field(description="called_off - returned + taken")
    quota_left: int


class Utilisation(BaseModel):
    contract_id: str
    sku: str
    kind: str
    unit_price_cents: int
    ceiling_quantity: int
    called_off: int
    ceiling_left: int
    in_pool: int
    cities: list[CityUse]


class LedgerListParams(ListParams):
    contract_id: str | None = Field(None, max_length=64)
    city_id: str | None = Field(None, max_length=40)
    reference: str | None = Field(None, max_length=40, description="The call-off with this number (any case)")


class SharedCostBody(Request):
    amount_cents: Cents
    memo: str = Field(min_length=1, max_length=2000, examples=["Einrichtung und Schulung"])
    cost_key_id: str = Field("", max_length=40, description="Default: the contract's key (usage)")


class RenewalBody(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"closes_at": "2027-06-30T16:00:00Z"}]})

    closes_at: UtcDatetime | None = Field(None, description="When the round closes; default in 30 days")


class RenewalRound(BaseModel):
    contract_id: str
    round_id: str = Field(description="The new demand round (a draft: open it when the cities should answer)")
    existing: bool = Field(description="Started before: the same round again")


# -- budgets and finance reports --------------------------------------------------------------


class Budget(BaseModel):
    city_id: str
    year: int
    amount_cents: int
    set_by: str
    set_at: dt.datetime
    version: int


class BudgetBody(Request):
    amount_cents: Cents
    version: Version | None = Field(None, description="The version you change; leave out for a new budget")


class StatementLine(BaseModel):
    posted_at: dt.datetime
    transaction_id: str
    kind: str
    contract_id: str
    sku: str
    memo: str
    reference: str | None = Field(description="The call-off's number; null for other postings")
    contract_reference: str | None = Field(description="The contract's number")
    text: str = Field(description="The booking text, in the language of Accept-Language")
    amount_cents: int = Field(description="Positive: a charge; negative: a credit")
    balance_cents: int = Field(description="Owed after this line")


class ContractTotal(BaseModel):
    contract_id: str
    contract_reference: str | None
    sku: str
    name: str
    amount_cents: int


class Statement(BaseModel):
    city_id: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    opening_cents: int = Field(description="Owed at the start of the period")
    closing_cents: int = Field(description="Owed at its end")
    lines: list[StatementLine]
    by_contract: list[ContractTotal]


class UseRow(BaseModel):
    contract_id: str
    sku: str
    name: str
    kind: str
    vendor_id: str
    unit_price_cents: int
    city_id: str
    quota: int
    called_off: int
    returned: int
    taken: int
    holding: int
    quota_left: int
    cost_cents: int = Field(description="What the city owes for this contract now")


class UtilisationReport(BaseModel):
    rows: list[UseRow]


class RenewalDue(BaseModel):
    contract: Contract
    days_left: int = Field(description="Days until the renewal notice date; negative: past it")


class RenewalsDue(BaseModel):
    contracts: list[RenewalDue]


class BudgetRow(BaseModel):
    city_id: str
    year: int
    budget_cents: int | None = Field(description="null: no budget set")
    actual_cents: int = Field(description="Charges minus credits on the city's account in the year")
    remaining_cents: int | None


class BudgetReport(BaseModel):
    rows: list[BudgetRow]


# -- mini-competitions ---------------------------------------------------------------------------


class MiniCompetitionBody(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"quantities": [{"city_id": "bruchsal", "quantity": 12}],
                          "offers_due_at": "2027-01-15T11:00:00Z",
                          "description": "Lieferung bis 29.01. ins Rathaus Bruchsal, vorinstalliert"}]
        }
    )  # fmt: skip

    quantities: list[QuotaAddition] = Field(
        min_length=1, max_length=100, description="What each city calls off; each must hold a quota in the framework"
    )
    offers_due_at: UtcDatetime = Field(description="In the future, at most 30 days ahead")
    description: str = Field("", max_length=2000, description="What the vendors are to know: delivery, configuration")


class OfferBody(Request):
    unit_price_cents: Cents = Field(description="At most your framework price")
    note: str = Field("", max_length=2000)


class MiniCompetitionOffer(BaseModel):
    vendor_id: str
    contract_id: str
    unit_price_cents: int
    note: str
    submitted_at: dt.datetime
    rank: int = Field(description="Once decided; 0 before")
    price_score_milli: int
    total_score_milli: int


class MiniCompetition(BaseModel):
    """A call-off by renewed competition among a framework's vendors (§ 21 (5) VgV)."""

    id: str
    framework_id: str
    sku: str
    name: str
    unit: str
    quantities: list[CityShare] = Field(description="What each city calls off: a city sees its own, a vendor none")
    quantity: int = Field(description="In all: what the vendors offer for")
    description: str
    offers_due_at: dt.datetime
    status: MiniCompetitionStatus
    created_by: str
    created_at: dt.datetime
    offers: list[MiniCompetitionOffer] = Field(
        description="Sealed until the deadline: a vendor sees its own offer only, ever; the buyers every offer once "
        "due, ranked once decided"
    )
    offers_received: int = Field(description="Once due; 0 before")
    winner_vendor_id: str
    unit_price_cents: int = Field(description="The winning offer's unit price: what the call-offs are posted at")
    call_off_ids: list[str] = Field(description="The call-offs' ledger transactions, as you may see them")
    decided_at: dt.datetime | None
    decided_by: str
    replayed: bool = Field(description="Answered from an earlier request with the same Idempotency-Key")
