"""REST bodies of the contract endpoints: framework contracts, their use (call-offs, the pool, quota shifts),
the ledger, budgets, the finance reports and renewals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from civicpool_common.vocabulary import ContractStatus
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.schemas import Cents, CityShare, ListParams, Request, Text, UtcDatetime, Version

# -- contracts ----------------------------------------------------------------------------------


ReferenceFilter = Field(
    None, max_length=40, description="The record with this reference number (any case), e.g. ETT-2026-003"
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


class ContractListParams(ListParams):
    tender_id: str | None = Field(None, max_length=64)
    city_id: str | None = Field(None, max_length=40, description="Contracts with a quota of this city")
    reference: str | None = ReferenceFilter


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
