"""Every text people read, in German and English: one message catalogue, a gettext `.po` file per language.

A text's msgid is its English source text, placeholders in braces ("Welcome, {name}"); an enumeration's
labels have its kind as msgctxt ("round" / "open" → "offen"). Both files hold every text with the same
placeholders (tests/unit/test_messages.py fails otherwise), so a new text is German from its first day and
an English wording can change in en.po without touching the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("de", "en")
HERE = Path(__file__).parent

Key = tuple[str | None, str]  # (msgctxt, msgid)


@cache
def catalogue(language: str) -> Mapping[Key, str]:
    """The texts of one language (de, en) by (context, English source text)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for {language!r}; there are {', '.join(LANGUAGES)}")
    with (HERE / f"{language}.po").open("rb") as po:
        read = read_po(po, locale=language)
    return {(m.context, str(m.id)): str(m.string) for m in read if m.id and m.string}


def text(language: str, source: str, /, **values: object) -> str:
    """`source` in `language`, its placeholders filled; the source itself where the catalogue lacks it (the
    tests see to it that no text the code marks is missing)."""
    translated = catalogue(language).get((None, source), source)
    return translated.format(**values) if values else translated


def label(language: str, kind: str, value: str) -> str | None:
    """The label of an enumeration's value (kind "round", value "open"); None for a value without one."""
    return catalogue(language).get((kind, value))


def negotiate(accept_language: str | None, default: str) -> str:
    """The language of LANGUAGES an Accept-Language header prefers (RFC 9110 §12.5.4: q-values, "de-DE" is
    "de", "*" anything); `default` without a header or without a match."""
    best, best_quality = default, 0.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().lower().split("-")[0]
        chosen = default if language == "*" else language
        # Equal quality: the earlier tag wins (a tiny penalty by position keeps the order).
        if chosen in LANGUAGES and quality > 0 and quality - position * 1e-6 > best_quality:
            best, best_quality = chosen, quality - position * 1e-6
    return best
