"""German (the default) and English: the portal's words, and numbers, money and times in the user's locale.

Templates write English and call `_()`; the message catalogue (civicpool_common.messages)
holds each text in both languages, and a unit test checks that every text in the templates
has them. Values of the API's enumerations (statuses, regions, ...) are shown through `label()`.
Times are stored in UTC and shown in the network's time zone.

Dates are shown and typed as a German office writes them, `31.03.2027` (TT.MM.JJJJ) and `31.03.2027 14:05`
on Berlin's clock, in German; ISO (`2027-03-31`, `2027-03-31 14:05`) in English. A date field is a text field
(a browser's date picker writes the browser's locale, not the portal's): it reads TT.MM.JJJJ (also 1.3.2027
and a two-digit year is not guessed) and ISO in either language; what it cannot read is a form error in the
page's language, and nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from civicpool_common import messages
from civicpool_common.messages import N_

LANGUAGES = {"de": "de_DE", "en": "en_GB"}
DEFAULT_LANGUAGE = "de"
TIME_ZONE = ZoneInfo("Europe/Berlin")
DATE_REFUSED = N_('{field}: "{value}" is no date; enter it as DD.MM.YYYY, e.g. 31.03.2027.')
DATE_PATTERN = {"de": "dd.MM.yyyy", "en": "yyyy-MM-dd"}
TIME_PATTERN = {"de": "dd.MM.yyyy HH:mm", "en": "yyyy-MM-dd HH:mm"}
GERMAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
GERMAN_TIME = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+|,\s*)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*Uhr)?")


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
        return str(format_datetime(moment, TIME_PATTERN[self.language], tzinfo=TIME_ZONE, locale=self.babel_locale))

    def date(self, value: str | dt.date | None) -> str:
        if value is None or value == "":
            return "–"
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, DATE_PATTERN[self.language], locale=self.babel_locale))

    def date_input(self, value: str | dt.date | None) -> str:
        """A day as the value of a date field: 31.03.2027 in German, 2027-03-31 in English; empty for none."""
        return "" if value is None or value == "" else self.date(value)

    def time_input(self, value: str | dt.datetime | None) -> str:
        """A UTC time as the value of a date-and-time field, on Berlin's clock: 31.03.2027 14:05 / 2027-03-31 14:05
        (with its seconds where it has them, so that saving the form again keeps the time)."""
        moment = parse_time(value)
        if moment is None:
            return ""
        pattern = TIME_PATTERN[self.language] + (":ss" if moment.second else "")
        return str(format_datetime(moment, pattern, tzinfo=TIME_ZONE, locale=self.babel_locale))

    @property
    def date_placeholder(self) -> str:
        """How a date field wants its date: TT.MM.JJJJ / YYYY-MM-DD."""
        return self.gettext("DD.MM.YYYY") if self.language == "de" else "YYYY-MM-DD"


def parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def parse_day(value: str) -> dt.date:
    """A day as a person types it: 31.03.2027 (also 1.3.2027) or 2027-03-31; ValueError ("no date") if it is none."""
    text = value.strip()
    try:
        german = GERMAN_DAY.fullmatch(text)
        if german:
            day, month, year = (int(part) for part in german.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError as error:  # 31.02.2027
        raise ValueError(f"no date: {value!r}") from error
    raise ValueError(f"no date: {value!r}")


def from_local_input(value: str) -> dt.datetime:
    """What a user typed into a date-and-time field (network time zone) as a UTC time: 31.03.2027 14:05 (also
    with seconds or "Uhr") or ISO, 2027-03-31T14:05 / 2027-03-31 14:05; ValueError ("no date and time") if
    unreadable."""
    text = value.strip()
    german = GERMAN_TIME.fullmatch(text)
    try:
        if german:
            day, month, year, hour, minute = (int(part) for part in german.groups()[:5])
            moment = dt.datetime(year, month, day, hour, minute, int(german.group(6) or 0))
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?", text):
            moment = dt.datetime.fromisoformat(text)
        else:
            raise ValueError(f"no date and time: {value!r}")
    except ValueError as error:  # 31.02.2027 10:00, 25:00
        raise ValueError(f"no date and time: {value!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIME_ZONE)
    return moment.astimezone(dt.UTC)
