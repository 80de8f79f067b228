"""Money is integer euro cents. Splitting an amount never loses or invents a cent."""

from __future__ import annotations

from collections.abc import Mapping

MAX_CENTS = 2**63 - 1  # what a proto int64 carries


def split_cents(amount_cents: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `amount_cents` in proportion to non-negative integer `weights`.

    Largest-remainder method: each part gets the floor of its exact share, and
    the cents left over go one by one to the largest remainders; ties go to the
    key that sorts first, so the result is deterministic. The parts always sum
    to the amount exactly. Negative amounts (refunds) split like positive ones.
    """
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    total_weight = sum(weights.values())
    if total_weight == 0:
        raise ValueError("at least one weight must be positive")
    sign = -1 if amount_cents < 0 else 1
    amount = abs(amount_cents)
    floors: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, weight in weights.items():
        share, remainder = divmod(amount * weight, total_weight)
        floors[key] = share
        remainders.append((remainder, key))
    left_over = amount - sum(floors.values())
    for _, key in sorted(remainders, key=lambda r: (-r[0], r[1]))[:left_over]:
        floors[key] += 1
    return {key: sign * cents for key, cents in floors.items()}


def euros(cents: int) -> str:
    """Cents as a plain euro amount for messages: 21600000 -> 'EUR 216,000.00'."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}EUR {whole:,}.{rest:02d}"
