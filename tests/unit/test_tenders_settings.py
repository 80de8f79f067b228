"""Settings that moved with tendering from the contracts service keep working under their old names."""

from __future__ import annotations

import pytest
from civicpool_tenders.config import TendersSettings

MOVED = {"eu_threshold_cents": "7", "direct_award_limit_cents": "8", "restricted_limit_cents": "9", "ocid_prefix": "x"}


@pytest.mark.parametrize(("field", "value"), MOVED.items())
def test_a_setting_moved_to_the_tenders_service_is_read_under_both_names(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str
) -> None:
    monkeypatch.setenv(f"CIVICPOOL_CONTRACTS_{field.upper()}", value)
    assert str(getattr(TendersSettings(), field)) == value
    monkeypatch.setenv(f"CIVICPOOL_TENDERS_{field.upper()}", value + "1")  # the new name wins
    assert str(getattr(TendersSettings(), field)) == value + "1"
