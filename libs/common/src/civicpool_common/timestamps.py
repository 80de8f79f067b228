"""UTC datetimes <-> google.protobuf.Timestamp, the one way every process converts them."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(value: dt.datetime) -> Timestamp:
    if value.tzinfo is None:
        raise ValueError("naive datetime: civicpool sends UTC-aware datetimes only")
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


def from_timestamp(stamp: Timestamp) -> dt.datetime:
    return stamp.ToDatetime(tzinfo=dt.UTC)
