"""What people type into the portal's forms, made ready for the API."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Form

Text = Annotated[str, Form()]  # a form field; give it a default to make it optional


def whole(text: str) -> int | str:
    """A whole number from a form field; anything else is passed on for the API to refuse by name."""
    return int(text) if re.fullmatch(r"\s*-?\d{1,15}\s*", text) else text


EURO_AMOUNT = re.compile(r"(\d{1,3}(?:[.\s]\d{3})+|\d+)(?:,(\d{1,2}))?|(\d{1,3}(?:,\d{3})+|\d+)\.(\d{1,2})")


def parse_euros(text: str) -> int:
    """Euro cents from what a person types: "1.234,56", "1234,5", "1,234.56", "1234.56" or "1234"; else ValueError."""
    match = EURO_AMOUNT.fullmatch(text.strip().removesuffix("€").strip())
    if match is None:
        raise ValueError(text)
    if match.group(3) is not None:  # English: 1,234.56
        euros, fraction = match.group(3).replace(",", ""), match.group(4)
    else:
        euros, fraction = re.sub(r"[.\s]", "", match.group(1)), match.group(2) or "0"
    return int(euros) * 100 + int(fraction.ljust(2, "0"))


def if_match(version: str) -> dict[str, str]:
    """The version the user saw: a change made meanwhile by someone else is refused, not overwritten."""
    return {"If-Match": f'"{version}"'} if version.isdigit() else {}


def idempotency(key: str) -> dict[str, str]:
    """The key the form was shown with: sent twice (double click, reload), it acts once."""
    return {"Idempotency-Key": key} if key else {}
