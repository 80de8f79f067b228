"""REST bodies of the demand endpoints, and how they map to the demand service's messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypedDict

from civicpool_common.vocabulary import LineStatus, Priority, RoundStatus
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway import downloads
from civicpool_gateway.schemas import (
    Day,
    DownloadFormat,
    FileLanguage,
    ListParams,
    Patch,
    Request,
    UtcDatetime,
    Version,
)

Quantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000, description="A whole number", examples=[40])]
Justification = Annotated[str, Field(max_length=2000, examples=["Ersatz der Geräte aus 2019 in den Grundschulen"])]


class RoundFields(Request):
    title: str = Field(min_length=1, max_length=200, examples=["Notebooks und Headsets 2027"])
    description: str = Field("", max_length=4000)
    opens_at: UtcDatetime
    closes_at: UtcDatetime
    scope_item_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=500, description="Items the round asks for (with the CPV prefixes)"
    )
    scope_cpv_prefixes: list[Annotated[str, Field(pattern=r"^\d{2,8}$")]] = Field(
        default_factory=list,
        max_length=500,
        description="Items whose CPV code starts with one of these; no items and no prefixes: every item",
        examples=[["302", "48515"]],
    )


class RoundPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"closes_at": "2027-02-15T16:00:00Z", "version": 2}]})

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    opens_at: UtcDatetime | None = None
    closes_at: UtcDatetime | None = None
    scope_item_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=500)
    scope_cpv_prefixes: list[Annotated[str, Field(pattern=r"^\d{2,8}$")]] | None = Field(None, max_length=500)
    version: Version | None = None


class Round(BaseModel):
    id: str
    title: str
    description: str
    owner_city_id: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    status: RoundStatus
    version: int
    created_by: str
    created_at: dt.datetime
    scope_item_ids: list[str]
    scope_cpv_prefixes: list[str]
    status_changed_at: dt.datetime | None
    status_changed_by: str
    cancel_reason: str | None
    tender_id: str | None


class RoundListParams(ListParams):
    status: RoundStatus | None = Field(None, description="Only rounds in this status")


class CancelBody(Request):
    reason: str = Field(min_length=1, max_length=2000, examples=["Bedarf wird 2028 neu erhoben"])


class LineFields(Request):
    item_id: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    needed_by: Day | None = Field(None, description="The day the city needs it by")
    justification: Justification = ""
    priority: Priority = Priority.NORMAL
    city_id: str | None = Field(
        None, max_length=40, description="Your own city (the default); another city's demand is refused"
    )


class LinePatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": 45, "version": 1}]})

    clearable = frozenset({"needed_by"})

    quantity: Quantity | None = None
    needed_by: Day | None = None
    justification: Justification | None = None
    priority: Priority | None = None
    version: Version | None = None


class Line(BaseModel):
    id: str
    round_id: str
    city_id: str
    item_id: str
    quantity: int
    needed_by: dt.date | None
    justification: str
    priority: Priority
    status: LineStatus
    version: int
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime


class LineListParams(ListParams):
    city_id: str | None = Field(None, max_length=40, description="Only this city's lines")
    item_id: str | None = Field(None, max_length=64, description="Only lines of this item")
    status: LineStatus | None = Field(None, description="Only submitted or only withdrawn lines")
    format: DownloadFormat = Field("json", description="csv or xlsx: every matching line as a file")
    language: FileLanguage | None = Field(None, description=downloads.LANGUAGE_DESCRIPTION)


class FieldChange(BaseModel):
    field: str
    old_value: str
    new_value: str


class LineVersion(BaseModel):
    version: int
    change: Literal["created", "updated", "withdrawn"]
    changed_by: str
    changed_at: dt.datetime
    changes: list[FieldChange]
    import_id: str | None


class LineHistory(BaseModel):
    line: Line
    versions: list[LineVersion]


class CityQuantity(BaseModel):
    city_id: str
    quantity: int
    line_count: int
    estimated_cents: int


class ItemTotal(BaseModel):
    item_id: str
    sku: str
    name: str
    unit: str
    reference_price_cents: int
    total_quantity: int
    city_count: int
    line_count: int
    estimated_cents: int
    cities: list[CityQuantity]


class Aggregation(BaseModel):
    round_id: str
    items: list[ItemTotal]
    total_quantity: int
    total_estimated_cents: int
    city_count: int
    view: Literal["network", "city", "own-city"] = Field(
        description="network: every city's breakdown; city: network totals, your city's breakdown; "
        "own-city: your city's totals and breakdown"
    )
    view_city_id: str | None


# The Aggregation schema's JSON as plain dicts. The gateway answers an aggregation as these, written by pydantic's
# JSON writer without validating them into the models above: thousands of nested entries cost several times the
# conversion as models (see bench/aggregation.py). tests/unit/test_serde.py holds them to the models' fields.


class CityQuantityJson(TypedDict):
    city_id: str
    quantity: int
    line_count: int
    estimated_cents: int


class ItemTotalJson(TypedDict):
    item_id: str
    sku: str
    name: str
    unit: str
    reference_price_cents: int
    total_quantity: int
    city_count: int
    line_count: int
    estimated_cents: int
    cities: list[CityQuantityJson]


class AggregationJson(TypedDict):
    round_id: str
    items: list[ItemTotalJson]
    total_quantity: int
    total_estimated_cents: int
    city_count: int
    view: str  # network | city | own-city
    view_city_id: str | None


class ImportResult(BaseModel):
    import_id: str
    rows: int
    created: int
    withdrawn: int
    unchanged: int
    replayed: bool = Field(description="The same content was added before; nothing changed now")
    imported_at: dt.datetime
    imported_by: str
