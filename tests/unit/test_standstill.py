"""The standstill after the award decision (§ 134 (2) GWB), against an independent computation (numpy's business
days) over random send times, and at the days where it matters."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pytest
from civicpool_tenders.deadlines import standstill
from hypothesis import given, settings
from hypothesis import strategies as st

BADEN_WUERTTEMBERG = holidays.country_holidays("DE", subdiv="BW", years=range(2025, 2032))
BERLIN = ZoneInfo("Europe/Berlin")


@settings(max_examples=500, deadline=None)
@given(
    sent_at=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)),
    electronic=st.booleans(),
)
def test_the_standstill_ends_as_an_independent_count_of_calendar_and_working_days(
    sent_at: dt.datetime, electronic: bool
) -> None:
    found = standstill(sent_at, BADEN_WUERTTEMBERG, electronic=electronic)
    sent_on = np.datetime64(sent_at.astimezone(BERLIN).date())
    calendar_end = sent_on + np.timedelta64(10 if electronic else 15, "D")
    free = [np.datetime64(day) for day in BADEN_WUERTTEMBERG]
    last = np.busday_offset(calendar_end, 0, roll="forward", holidays=free)  # Mon-Fri, not a holiday
    assert np.datetime64(found.last_day) == last
    assert found.earliest_conclusion_on == found.last_day + dt.timedelta(days=1)
    assert found.days == (10 if electronic else 15)


@pytest.mark.parametrize(
    ("sent_at", "last_day"),
    [
        ("2026-12-14T10:00:00+00:00", "2026-12-24"),  # Christmas Eve is a working day
        ("2026-12-15T10:00:00+00:00", "2026-12-28"),  # 25th, 26th (holidays), 27th (Sunday)
        ("2026-12-18T23:30:00+00:00", "2026-12-29"),  # 00:30 in Berlin is the 19th: the 29th
        ("2026-03-24T10:00:00+00:00", "2026-04-07"),  # Good Friday 3 April ... Easter Monday 6 April
        ("2026-12-27T10:00:00+00:00", "2027-01-07"),  # Epiphany, a holiday in Baden-Württemberg
        ("2027-01-01T09:00:00+00:00", "2027-01-11"),  # 11 January, a Monday
    ],
)
def test_the_days_where_it_matters(sent_at: str, last_day: str) -> None:
    found = standstill(dt.datetime.fromisoformat(sent_at), BADEN_WUERTTEMBERG)
    assert found.last_day == dt.date.fromisoformat(last_day)
    assert "§ 134 (2) GWB" in found.legal_basis
