"""Keyset pagination: page sizes and opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import Text

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Row = TypeVar("Row")


def resolve_limit(limit: int) -> int:
    """The page size for a requested limit (0 = default); out of range is an error."""
    if limit == 0:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument.for_field(
            "limit", Text("limit must be between 1 and {max}, not {limit}", max=MAX_LIMIT, limit=limit)
        )
    return limit


def encode_cursor(last_key: str) -> str:
    raw = json.dumps({"k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The sort key after which the page starts; None for the first page."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["k"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, str):
        raise InvalidArgument.for_field(
            "cursor", "the cursor is not one this API handed out; start again without a cursor"
        )
    return value


class Page(NamedTuple, Generic[Row]):
    """One page of a list: its records and the cursor of the next page ("" on the last page)."""

    records: list[Row]
    next_cursor: str


@dataclass(frozen=True)
class PageWindow:
    """Which rows a list call asks for: `size` of them, after the sort key `after`."""

    size: int
    after: str | None

    @classmethod
    def requested(cls, limit: int, cursor: str) -> PageWindow:
        return cls(resolve_limit(limit), decode_cursor(cursor))

    @property
    def fetch(self) -> int:
        """Rows to query: one more than the page tells whether a next page exists."""
        return self.size + 1

    def close(self, rows: Sequence[Row], key: Callable[[Row], str]) -> Page[Row]:
        """The page of the rows fetched (`fetch` of them at most), with the cursor of the next page."""
        if len(rows) > self.size:
            page = list(rows[: self.size])
            return Page(page, encode_cursor(key(page[-1])))
        return Page(list(rows), "")
