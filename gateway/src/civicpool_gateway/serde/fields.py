"""How one field's value looks on REST and in a proto: the conversions every serde module uses.

REST field names equal proto field names. Enum numbers are words (civicpool_common.vocabulary);
Timestamps are UTC datetimes; ISO date strings are dates; the zero value of a field REST documents
as nullable is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from civicpool.common.v1.paging_pb2 import PageRequest
from civicpool_common.timestamps import from_timestamp, to_timestamp
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel

from civicpool_gateway.schemas import ListParams

Word = TypeVar("Word", bound=StrEnum)

__all__ = [
    "count_or_none",
    "cursor_or_none",
    "day",
    "day_or_none",
    "day_text",
    "from_timestamp",
    "list_params_from_proto",
    "page_request",
    "text_or_none",
    "time_or_none",
    "timestamp_or_none",
    "to_timestamp",
    "update_mask",
    "word",
]


def word(number: int, words: Mapping[int, Word]) -> Word | None:
    """An enum number as its word (`words` from vocabulary.words_of); UNSPECIFIED (0) is None."""
    return words.get(number)


def time_or_none(present: bool, stamp: Timestamp) -> dt.datetime | None:
    """A Timestamp field (present: the message's HasField) as a UTC datetime. Unset is None: null where REST
    allows it, refused by the model where it does not (a reply without it is the service's bug, a 500)."""
    return from_timestamp(stamp) if present else None


def timestamp_or_none(value: dt.datetime | None) -> Timestamp | None:
    """A datetime as the Timestamp of a message being built; None leaves the field unset."""
    return to_timestamp(value) if value is not None else None


def day(text: str) -> dt.date:
    """An ISO date string field (yyyy-mm-dd) that always holds a date."""
    return dt.date.fromisoformat(text)


def day_or_none(text: str) -> dt.date | None:
    """An ISO date string field that may be empty: "" is None."""
    return dt.date.fromisoformat(text) if text else None


def day_text(value: dt.date | None) -> str:
    """A date as the ISO string of a proto field; None is ""."""
    return value.isoformat() if value is not None else ""


def text_or_none(text: str) -> str | None:
    """A string field REST documents as nullable: "" is None."""
    return text or None


def count_or_none(number: int) -> int | None:
    """A number field REST documents as nullable: 0 is None."""
    return number or None


def cursor_or_none(next_cursor: str) -> str | None:
    """A list reply's `next_cursor`: "" (the last page) is None."""
    return next_cursor or None


def page_request(params: ListParams) -> PageRequest:
    """The page a list asks for: its size and the cursor of the page before ("" for the first)."""
    return PageRequest(limit=params.limit, cursor=params.cursor or "")


def list_params_from_proto(page: PageRequest, include_inactive: bool = False) -> ListParams:
    return ListParams(limit=page.limit, cursor=page.cursor or None, include_inactive=include_inactive)


def update_mask(patch: BaseModel) -> FieldMask:
    """The fields a PATCH body sets (sorted), without the version it names: the update's field mask."""
    return FieldMask(paths=sorted(patch.model_fields_set - {"version"}))
