"""A field the request got wrong is named in the reader's language: every pydantic error type the gateway
translates is one pydantic really raises, and reads in German without pydantic's English."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, Literal

import pytest
from civicpool_common import messages
from civicpool_gateway import field_errors
from civicpool_gateway.schemas import Day, Patch, Request
from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


# One value per error type: (the type, the expected value's annotation, a value that breaks it)
CASES: list[tuple[str, Any, Any]] = [
    ("missing", None, None),
    ("extra_forbidden", None, None),
    ("string_type", str, 5),
    ("string_too_short", Annotated[str, Field(min_length=3)], "ab"),
    ("string_too_long", Annotated[str, Field(max_length=3)], "abcd"),
    ("string_pattern_mismatch", Annotated[str, Field(pattern=r"^[A-Z]{3}$")], "abc"),
    ("int_type", Annotated[int, Field(strict=True)], "12"),
    ("int_parsing", int, "zwölf"),
    ("int_from_float", int, 2.5),
    ("float_type", Annotated[float, Field(strict=True)], "1.5"),
    ("float_parsing", float, "x"),
    ("greater_than", Annotated[int, Field(gt=0)], 0),
    ("greater_than_equal", Annotated[int, Field(ge=1)], -5),
    ("less_than", Annotated[int, Field(lt=10)], 10),
    ("less_than_equal", Annotated[int, Field(le=10)], 11),
    ("too_short", Annotated[list[int], Field(min_length=1)], []),
    ("too_long", Annotated[list[int], Field(max_length=1)], [1, 2]),
    ("bool_type", Annotated[bool, Field(strict=True)], "yes"),
    ("bool_parsing", bool, "vielleicht"),
    ("date_type", Annotated[dt.date, Field(strict=True)], "2027-01-01"),
    ("date_parsing", Annotated[dt.date, Field(strict=True)], b'"2027-13-01"'),
    ("date_from_datetime_parsing", dt.date, "2027-13-45"),
    ("date_from_datetime_inexact", dt.date, "2027-01-01T10:00:00"),
    ("datetime_type", Annotated[dt.datetime, Field(strict=True)], "2027-01-01T00:00:00Z"),
    ("datetime_parsing", Annotated[dt.datetime, Field(strict=True)], b'"2027-01-01T25:00:00Z"'),
    ("datetime_from_date_parsing", dt.datetime, "morgen"),
    ("timezone_aware", AwareDatetime, "2027-01-01T10:00:00"),
    ("enum", Colour, "green"),
    ("literal_error", Literal["json", "csv", "xlsx"], "pdf"),
    ("uuid_type", uuid.UUID, 5),
    ("uuid_parsing", uuid.UUID, "3f2a"),
    ("dict_type", dict[str, int], [1]),
    ("model_type", None, 5),
    ("list_type", list[int], 5),
    ("json_invalid", None, b"{"),
]


def _errors(error_type: str, annotation: Any, value: Any) -> list[dict[str, Any]]:
    """The errors pydantic raises for `value` (the cases without an annotation need their own setup)."""

    class Body(Request):
        name: str

    try:
        if error_type == "missing":
            Body.model_validate({})
        elif error_type == "extra_forbidden":
            Body.model_validate({"name": "x", "nmae": "y"})
        elif error_type == "model_type":
            Body.model_validate(value)
        elif error_type == "json_invalid":
            Body.model_validate_json(value)
        elif isinstance(value, bytes):  # as JSON: what a request body is
            TypeAdapter(annotation).validate_json(value)
        else:
            TypeAdapter(annotation).validate_python(value)
    except ValidationError as error:
        return [dict(e) for e in error.errors()]
    raise AssertionError(f"{value!r} passed as {annotation}")


@pytest.mark.parametrize(("error_type", "annotation", "value"), CASES, ids=[c[0] for c in CASES])
def test_each_translated_error_type_reads_in_german(error_type: str, annotation: Any, value: Any) -> None:
    errors = _errors(error_type, annotation, value)
    assert errors[0]["type"] == error_type
    message = field_errors.field_message(errors[0])
    assert isinstance(message, messages.Text), f"{error_type} kept pydantic's words: {message}"
    german, english = message.render("de"), message.render("en")
    assert german != english
    assert "Input should" not in german and "Field required" not in german


def test_every_translated_type_has_a_case() -> None:
    assert set(field_errors._BY_TYPE) == {case[0] for case in CASES}


def test_choices_are_listed_without_the_english_or() -> None:
    (error,) = _errors("literal_error", Literal["json", "csv", "xlsx"], "pdf")
    assert field_errors.field_message(error).render("de") == "muss einer dieser Werte sein: 'json', 'csv', 'xlsx'"  # type: ignore[union-attr]


def test_our_own_validators_speak_through_their_text() -> None:
    class Change(Patch):
        population: int | None = None

    with pytest.raises(ValidationError) as raised:
        Change.model_validate({"population": None})
    message = field_errors.field_message(dict(raised.value.errors()[0]))
    assert message == messages.Text("cannot be null; leave the field out to keep its value")
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Day).validate_python(dt.date(1999, 12, 31))
    german = messages.rendered(field_errors.field_message(dict(raised.value.errors()[0])), "de")
    assert german == "muss ein Datum zwischen den Jahren 2000 und 2099 sein"


def test_an_error_type_without_translation_keeps_pydantics_message() -> None:
    error = {"type": "url_parsing", "msg": "Input should be a valid URL", "ctx": {}}
    assert field_errors.field_message(error) == "Input should be a valid URL"
