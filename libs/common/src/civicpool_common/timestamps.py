"""UTC datetimes <-> google.protobuf.Timestamp, the one way every process converts them."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import Text
from civicpool_common.vocabulary import NETWORK_TIME_ZONE

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Every date and time a request may carry lies in this range (the API documents it); outside it is
# a typing error, refused as invalid before any arithmetic on it can overflow.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_TIME = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # exclusive
RANGE_TEXT = "between the years 2000 and 2099"


def network_today() -> dt.date:
    """Today in the network's time zone (a contract that starts "today" starts on the city's today)."""
    return dt.datetime.now(NETWORK_TIME_ZONE).date()


def network_date(moment: dt.datetime) -> dt.date:
    """The network's calendar day of a moment: 23:30 UTC on 31 March is 1 April in Berlin."""
    return moment.astimezone(NETWORK_TIME_ZONE).date()


def start_of_network_day(day: dt.date) -> dt.datetime:
    """The moment (UTC) a calendar day of the network begins: periods and budget years are Berlin days."""
    return dt.datetime.combine(day, dt.time(), NETWORK_TIME_ZONE).astimezone(dt.UTC)


def to_timestamp(value: dt.datetime) -> Timestamp:
    return Timestamp(**timestamp_fields(value))


def timestamp_fields(value: dt.datetime) -> dict[str, int]:
    """The fields of the Timestamp of `value`: pass them as a Timestamp field of a message being built
    (a dict, unlike a Timestamp message, is not built first and then copied in)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: civicpool sends UTC-aware datetimes only")
    # Arithmetic instead of Timestamp.FromDatetime: the same result, several times faster.
    since_epoch = value - _EPOCH
    return {"seconds": since_epoch.days * 86_400 + since_epoch.seconds, "nanos": since_epoch.microseconds * 1000}


# The range of Timestamp (years 1 to 9999), as Timestamp.ToDatetime checks it.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799


def from_timestamp(stamp: Timestamp) -> dt.datetime:
    seconds, nanos = stamp.seconds, stamp.nanos
    if _MIN_SECONDS <= seconds <= _MAX_SECONDS and 0 <= nanos < 1_000_000_000:
        # Arithmetic instead of Timestamp.ToDatetime (pure Python): the same result, several times faster.
        return _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
    return stamp.ToDatetime(tzinfo=dt.UTC)  # raises ValueError: out of range


def timestamp_field(message: Message, field: str) -> dt.datetime | None:
    """A Timestamp field of a request as a UTC datetime, within the range of times; None when unset."""
    if not message.HasField(field):
        return None
    try:
        value = from_timestamp(getattr(message, field))
    except (ValueError, OverflowError):
        value = None
    if value is None or not EARLIEST_TIME <= value < LATEST_TIME:
        raise InvalidArgument.for_field(field, Text("must be a time between the years 2000 and 2099"))
    return value


def date_field(text: str, field: str) -> dt.date | None:
    """An ISO date (yyyy-mm-dd) string field of a request, within the range of dates; None when empty."""
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        unreadable = Text("{text} is not a date in the form yyyy-mm-dd", text=repr(text))
        raise InvalidArgument.for_field(field, unreadable) from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        outside = Text("must be a date between the years 2000 and 2099, not {text}", text=text)
        raise InvalidArgument.for_field(field, outside)
    return value
