"""Timestamps: the fast conversion gives exactly what protobuf's own FromDatetime gives."""

from __future__ import annotations

import datetime as dt

from civicpool_common.timestamps import from_timestamp, to_timestamp
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

moments = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2999, 12, 31),
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(-dt.timedelta(hours=9, minutes=30))]
    ),
)


@given(moments)
def test_to_timestamp_equals_protobufs_conversion(moment: dt.datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment.astimezone(dt.UTC))
    assert to_timestamp(moment) == expected
    assert from_timestamp(to_timestamp(moment)) == moment
