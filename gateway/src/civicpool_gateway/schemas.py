"""REST request and response bodies shared by all routers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from civicpool_common import messages, timestamps
from civicpool_common.paging import DEFAULT_LIMIT, MAX_LIMIT
from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from civicpool_gateway import downloads

Row = TypeVar("Row")

# Money and quantities are JSON integers: 12.5 or "12" are refused, not rounded. Every
# integer has bounds: beyond 64 bits a value cannot even travel to a service.
Cents = Annotated[int, Field(strict=True, ge=0, le=10**12, description="Euro cents, net", examples=[89900])]
Version = Annotated[int, Field(strict=True, ge=1, le=10**12, description="The version you edited (or If-Match)")]


def _time_in_range(value: dt.datetime) -> dt.datetime:
    if not timestamps.EARLIEST_TIME <= value < timestamps.LATEST_TIME:
        raise ValueError(messages.Text("must be a time between the years 2000 and 2099"))
    return value


def _day_in_range(value: dt.date) -> dt.date:
    if not timestamps.EARLIEST_DATE <= value <= timestamps.LATEST_DATE:
        raise ValueError(messages.Text("must be a date between the years 2000 and 2099"))
    return value


# Every date and time a request carries lies between the years 2000 and 2099 (the services check the same):
# beyond it is a typing error, refused before any arithmetic on it can overflow.
UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_time_in_range),
    Field(description=f"ISO 8601 with an offset, {timestamps.RANGE_TEXT}; stored as UTC",
          examples=["2027-01-15T12:00:00Z"]),
]  # fmt: skip
Day = Annotated[dt.date, AfterValidator(_day_in_range), Field(description=f"yyyy-mm-dd, {timestamps.RANGE_TEXT}")]


Text = Annotated[str, Field(max_length=2000)]


class CityShare(BaseModel):  # a city's share of a quantity: a lot item's shares, a contract's quotas
    city_id: str
    quantity: int


# Lists and reports as JSON, or every matching row as a file.
DownloadFormat = Literal["json", "csv", "xlsx"]
FormatQuery = Annotated[DownloadFormat, Query(description="json, csv or xlsx")]
# The language of a CSV or XLSX file (downloads.py); without it, the request's (Accept-Language).
FileLanguage = Literal["de", "en"]
LanguageQuery = Annotated[FileLanguage | None, Query(description=downloads.LANGUAGE_DESCRIPTION)]

# A record's id in a path: anything longer is no id this API handed out.
ResourceId = Annotated[str, Path(min_length=1, max_length=64)]


class Page(BaseModel, Generic[Row]):
    """A page of a list; pass `next_cursor` as `cursor` for the next one (null: last page)."""

    data: list[Row]
    next_cursor: str | None


class ListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")
    include_inactive: bool = Field(False, description="Also list deactivated records")


class Request(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Patch(Request):
    """Base of PATCH bodies: send only what changes; null clears, but only a field that may be empty.

    (A null that slipped through would reach the service as the proto's zero value:
    a population of 0, a price of 0 cents.)
    """

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError(messages.Text("cannot be null; leave the field out to keep its value"))
        return value
