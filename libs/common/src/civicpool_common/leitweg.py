"""The Leitweg-ID: where a German public buyer receives e-invoices (BT-10, "Buyer reference"), as KoSIT's
"Formatspezifikation Leitweg-Identifikationsnummer" 2.0.2 defines it.

    Grobadressierung - Feinadressierung (optional) - Prüfziffer
    2 to 12 digits     1 to 30 letters or digits      2 digits      e.g. 04011000-12345-03, 991-33333TEST-33

The check digits are ISO 7064 MOD 97-10 over the ID without hyphens, each letter counted as its number
(A = 10 … Z = 35, either case): with the check digits appended the number leaves remainder 1 modulo 97.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from civicpool_common.messages import N_, Text

_SHAPE = re.compile(r"(?P<coarse>[0-9]{2,12})(?:-(?P<fine>[A-Za-z0-9]{1,30}))?-(?P<check>[0-9]{2})")


_SHAPE_WRONG = N_(
    "expected 2 to 12 digits, optionally a hyphen and 1 to 30 letters or digits, then a hyphen and 2 check digits, e.g. 04011000-12345-03"  # noqa: E501
)
_CHECK_WRONG = N_("the check digits are {expected}, not {given}")


class InvalidLeitwegId(ValueError):
    def __init__(self, text: str, reason: Text) -> None:
        super().__init__(f"{text!r} is no Leitweg-ID: {reason}")
        self.reason = reason  # in the reader's language when rendered


@dataclass(frozen=True)
class LeitwegId:
    coarse: str  # Grobadressierung
    fine: str  # Feinadressierung, "" when there is none
    check: str  # Prüfziffer

    def __str__(self) -> str:
        return "-".join(part for part in (self.coarse, self.fine, self.check) if part)

    @property
    def key(self) -> str:
        """How two spellings of one ID compare (letters in either case)."""
        return str(self).upper()


def check_digits(coarse: str, fine: str = "") -> str:
    """The two check digits for this Grobadressierung and Feinadressierung."""
    return f"{98 - _number(coarse + fine) * 100 % 97:02d}"


def make(coarse: str, fine: str = "") -> LeitwegId:
    """The Leitweg-ID with its check digits (for the demo and for tests)."""
    return parse(f"{coarse}-{fine}-{check_digits(coarse, fine)}" if fine else f"{coarse}-{check_digits(coarse)}")


def parse(text: str) -> LeitwegId:
    """The Leitweg-ID `text` is, or InvalidLeitwegId saying what is wrong with it."""
    shape = _SHAPE.fullmatch(text.strip())
    if shape is None:
        raise InvalidLeitwegId(text, Text(_SHAPE_WRONG))
    coarse, fine, check = shape.group("coarse"), shape.group("fine") or "", shape.group("check")
    if _number(coarse + fine + check) % 97 != 1:
        raise InvalidLeitwegId(text, Text(_CHECK_WRONG, expected=check_digits(coarse, fine), given=check))
    return LeitwegId(coarse, fine, check)


def _number(text: str) -> int:
    return int("".join(str(int(character, 36)) for character in text))
