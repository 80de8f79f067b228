"""Money is integer cents: splitting never loses or invents a cent."""

from __future__ import annotations

import random

import pytest
from civicpool_common.money import split_cents


def test_equal_split_gives_the_leftover_cents_to_the_first_keys() -> None:
    assert split_cents(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}


def test_split_by_population_is_proportional() -> None:
    assert split_cents(10_000, {"rastatt": 50_000, "buehl": 30_000, "gaggenau": 20_000}) == {
        "rastatt": 5_000,
        "buehl": 3_000,
        "gaggenau": 2_000,
    }


def test_largest_remainder_wins_the_leftover_cent() -> None:
    # exact shares 0.5, 0.333.., 0.166.. of 1 cent: the largest remainder (a) gets it
    assert split_cents(1, {"a": 3, "b": 2, "c": 1}) == {"a": 1, "b": 0, "c": 0}


def test_refunds_split_like_charges() -> None:
    assert split_cents(-100, {"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}


def test_parts_always_sum_to_the_amount() -> None:
    rng = random.Random(20200316)  # the first lockdown
    for _ in range(2000):
        weights = {f"city{i}": rng.randint(0, 60_000) for i in range(rng.randint(1, 9))}
        weights["city0"] += 1
        amount = rng.randint(-(10**9), 10**9)
        parts = split_cents(amount, weights)
        assert sum(parts.values()) == amount
        assert all(isinstance(p, int) for p in parts.values())


def test_zero_weight_gets_nothing() -> None:
    assert split_cents(999, {"a": 1, "b": 0}) == {"a": 999, "b": 0}


@pytest.mark.parametrize("weights", [{}, {"a": 0}, {"a": -1, "b": 2}])
def test_nothing_to_split_by_is_an_error(weights: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="weight"):
        split_cents(100, weights)
