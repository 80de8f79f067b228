"""UTC datetimes <-> google.protobuf.Timestamp, the one way every process converts them."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from civicpool_common.errors import InvalidArgument

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_timestamp(value: dt.datetime) -> Timestamp:
    if value.tzinfo is None:
        raise ValueError("naive datetime: civicpool sends UTC-aware datetimes only")
    # Arithmetic instead of Timestamp.FromDatetime: the same result, several times faster.
    since_epoch = value - _EPOCH
    return Timestamp(seconds=since_epoch.days * 86_400 + since_epoch.seconds, nanos=since_epoch.microseconds * 1000)


def from_timestamp(stamp: Timestamp) -> dt.datetime:
    return stamp.ToDatetime(tzinfo=dt.UTC)


def timestamp_field(message: Message, field: str) -> dt.datetime | None:
    """A Timestamp field of a request as a UTC datetime; None when unset."""
    if not message.HasField(field):
        return None
    try:
        return from_timestamp(getattr(message, field))
    except (ValueError, OverflowError):
        raise InvalidArgument.for_field(field, "not a time between the years 1 and 9999") from None


def date_field(text: str, field: str) -> dt.date | None:
    """An ISO date (yyyy-mm-dd) string field of a request; None when empty."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument.for_field(field, f"{text!r} is not a date in the form yyyy-mm-dd") from None
