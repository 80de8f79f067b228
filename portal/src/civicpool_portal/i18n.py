"""German (the default) and English: the portal's words, and numbers, money and times in the user's locale.

Templates write English and call `_()`; the message catalogue (civicpool_common.messages)
holds each text in both languages, and a unit test checks that every text in the templates
has them. Values of the API's enumerations (statuses, regions, ...) are shown through `label()`.
Times are stored in UTC and shown in the network's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from civicpool_common import messages

LANGUAGES = {"de": "de_DE", "en": "en_GB"}
DEFAULT_LANGUAGE = "de"
TIME_ZONE = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Locale:
    language: str

    @property
    def babel_locale(self) -> str:
        return LANGUAGES[self.language]

    def gettext(self, text: str, **values: object) -> str:
        return messages.text(self.language, text, **values)

    def label(self, kind: str, value: object) -> str:
        if value is None or value == "":
            return "–"
        return messages.label(self.language, kind, str(value)) or str(value)

    def money(self, cents: int | None) -> str:
        if cents is None:
            return "–"
        return str(format_currency(Decimal(cents) / 100, "EUR", locale=self.babel_locale))

    def money_input(self, cents: int | None) -> str:
        """An amount as the value of a form field: no currency sign, no grouping ("1234,56" / "1234.56")."""
        if cents is None:
            return ""
        sign, cents = ("-" if cents < 0 else ""), abs(cents)
        return f"{sign}{cents // 100}{',' if self.language == 'de' else '.'}{cents % 100:02d}"

    def number(self, value: int | float | None) -> str:
        return "–" if value is None else str(format_decimal(value, locale=self.babel_locale))

    def milli(self, value: int) -> str:
        """A score kept in thousandths (scoring.py), shown with three decimals."""
        return str(format_decimal(Decimal(value) / 1000, format="#,##0.000", locale=self.babel_locale))

    def datetime(self, value: str | dt.datetime | None) -> str:
        moment = parse_time(value)
        if moment is None:
            return "–"
        return str(format_datetime(moment, "dd.MM.yyyy HH:mm" if self.language == "de" else "d MMM yyyy HH:mm",
                                   tzinfo=TIME_ZONE, locale=self.babel_locale))  # fmt: skip

    def date(self, value: str | dt.date | None) -> str:
        if value is None or value == "":
            return "–"
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, "medium", locale=self.babel_locale))


def parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def local_input_value(value: str | dt.datetime | None) -> str:
    """A UTC time as the value of an <input type=datetime-local> in the network's time zone."""
    moment = parse_time(value)
    return "" if moment is None else moment.astimezone(TIME_ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def from_local_input(value: str) -> dt.datetime:
    """What a user typed into a datetime-local field (network time zone) as a UTC time; ValueError if unreadable."""
    moment = dt.datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIME_ZONE)
    return moment.astimezone(dt.UTC)
