"""Every text people read, in German and English: one message catalogue, a gettext `.po` file per language.

A text's msgid is its English source text, placeholders in braces ("Welcome, {name}"); an enumeration's
labels have its kind as msgctxt ("round" / "open" → "offen"). Both files hold every text with the same
placeholders (tests/unit/test_messages.py fails otherwise), so a new text is German from its first day and
an English wording can change in en.po without touching the code.

Code that raises an error or writes a message for a person writes a `Text`: the source and its values,
rendered late in the reader's language. The gateway takes the language from the request's
Accept-Language and passes it on with every call (metadata `accept-language`, like the request id); a
service renders its errors in it. Placeholders are filled in the reader's conventions: a date as
31.12.2027 in German, a time on Berlin's clock (31.12.2027 14:05 Uhr), a number written `{name:n}` with
the reader's grouping (1.000.000 / 1,000,000).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from civicpool_common.vocabulary import NETWORK_TIME_ZONE

LANGUAGES = ("de", "en")
LOCALES = {"de": "de_DE", "en": "en_GB"}
HERE = Path(__file__).parent
LANGUAGE_METADATA = "accept-language"  # how a call passes the reader's language on to a service

# The language of whoever reads what this request answers; each call to a service passes it on.
current_language: ContextVar[str] = ContextVar("language", default="en")

Key = tuple[str | None, str]  # (msgctxt, msgid)


@cache
def catalogue(language: str) -> Mapping[Key, str]:
    """The texts of one language (de, en) by (context, English source text)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for {language!r}; there are {', '.join(LANGUAGES)}")
    with (HERE / f"{language}.po").open("rb") as po:
        read = read_po(po, locale=language)
    return {(m.context, str(m.id)): str(m.string) for m in read if m.id and m.string}


def N_(source: str) -> str:
    """Marks a source text that is chosen here and made a Text (or translated) later, so the tests find it."""
    return source


class _Filler(string.Formatter):
    """Fills placeholders in a language's conventions: dates, `{n:n}` numbers, and nested Texts."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        locale = LOCALES[self.language]
        if isinstance(value, Text | Labels | Euros):
            return value.render(self.language)
        if format_spec == "n" and isinstance(value, int | float):
            return str(format_decimal(value, locale=locale))
        if isinstance(value, dt.datetime) and value.tzinfo is not None and not format_spec:
            local = value.astimezone(NETWORK_TIME_ZONE)  # people read the network's clock
            pattern = "dd.MM.yyyy HH:mm 'Uhr'" if self.language == "de" else "yyyy-MM-dd HH:mm '(Berlin)'"
            return str(format_datetime(local, pattern, tzinfo=NETWORK_TIME_ZONE, locale=locale))
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and not format_spec:
            return str(format_date(value, "dd.MM.yyyy" if self.language == "de" else "yyyy-MM-dd", locale=locale))
        return str(super().format_field(value, format_spec))


def text(language: str, source: str, /, **values: object) -> str:
    """`source` in `language`, its placeholders filled; the source itself where the catalogue lacks it (the
    tests see to it that no text the code marks is missing)."""
    translated = catalogue(language).get((None, source), source)
    return _Filler(language).format(translated, **values) if values else translated


class Text:
    """A text for a person: its English source (the msgid) and the values of its placeholders, rendered in
    the reader's language when the reader is known. str() is the English, for logs."""

    __slots__ = ("source", "values")

    def __init__(self, source: str, /, **values: object) -> None:
        self.source = source
        self.values = values

    def render(self, language: str) -> str:
        return text(language, self.source, **self.values)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Text({self.source!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.source, self.values) == (other.source, other.values)

    def __hash__(self) -> int:
        return hash(self.source)


class Labels:
    """Values of an enumeration (kind "round": "draft", "open") shown as their labels, "Entwurf / offen";
    a value without a label as it is."""

    __slots__ = ("kind", "values")

    def __init__(self, kind: str, *values: str) -> None:
        self.kind = kind
        self.values = values

    def render(self, language: str) -> str:
        return " / ".join(label(language, self.kind, value) or value for value in self.values)

    def __repr__(self) -> str:
        return f"Labels({self.kind!r}, *{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Labels) and (self.kind, self.values) == (other.kind, other.values)

    def __hash__(self) -> int:
        return hash((self.kind, self.values))


class Euros:
    """An amount of integer cents in a text, written as the reader writes money: 216.000,00 € / €216,000.00."""

    __slots__ = ("cents",)

    def __init__(self, cents: int) -> None:
        self.cents = cents

    def render(self, language: str) -> str:
        return str(format_currency(Decimal(self.cents) / 100, "EUR", locale=LOCALES[language]))

    def __repr__(self) -> str:
        return f"Euros({self.cents})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Euros) and self.cents == other.cents

    def __hash__(self) -> int:
        return hash(self.cents)


def rendered(message: str | Text, language: str) -> str:
    """A message in `language`: a Text rendered, a plain string (not yet in the catalogue) as it is."""
    return message.render(language) if isinstance(message, Text) else message


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
