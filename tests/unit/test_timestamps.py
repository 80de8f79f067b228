"""Timestamps: the fast conversion gives what protobuf's own FromDatetime gives; network days are Berlin days."""

from __future__ import annotations

import datetime as dt

from civicpool_common.timestamps import (
    NETWORK_TIME_ZONE,
    from_timestamp,
    network_date,
    start_of_network_day,
    to_timestamp,
)
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


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 30)))
def test_a_network_day_runs_from_berlin_midnight_to_berlin_midnight(day: dt.date) -> None:
    start, end = start_of_network_day(day), start_of_network_day(day + dt.timedelta(days=1))
    assert start.tzinfo is dt.UTC and start.astimezone(NETWORK_TIME_ZONE).time() == dt.time()
    assert dt.timedelta(hours=23) <= end - start <= dt.timedelta(hours=25)  # the clock changes twice a year
    assert network_date(start) == day and network_date(end - dt.timedelta(microseconds=1)) == day


def test_late_evening_utc_is_already_the_next_day_in_berlin() -> None:
    assert network_date(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2027, 1, 1)
    assert start_of_network_day(dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC)
    assert start_of_network_day(dt.date(2027, 7, 1)) == dt.datetime(2027, 6, 30, 22, tzinfo=dt.UTC)
