"""What a person reads about a field the request got wrong, in the message catalogue's words.

FastAPI validates with pydantic, whose messages are English only ("Input should be greater than or equal
to 1"). Each pydantic error type a request can meet becomes a Text with the error's limits as values, so a
German clerk reads "muss mindestens 1 sein". A validator of ours raises ValueError(Text(...)); its Text is
taken as it is. An error type not in the table keeps pydantic's English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicpool_common.messages import N_, Text

# pydantic error type -> (source text, the ctx value its {limit} placeholder shows, if any)
_BY_TYPE: dict[str, tuple[str, str | None]] = {
    "missing": (N_("is required"), None),
    "extra_forbidden": (N_("is not a field of this request"), None),
    "string_type": (N_("must be text"), None),
    "string_too_short": (N_("must have at least {limit} characters"), "min_length"),
    "string_too_long": (N_("must have at most {limit} characters"), "max_length"),
    "string_pattern_mismatch": (N_("does not have the expected form (pattern {limit})"), "pattern"),
    "int_type": (N_("must be a whole number"), None),
    "int_parsing": (N_("must be a whole number"), None),
    "int_from_float": (N_("must be a whole number"), None),
    "float_type": (N_("must be a number"), None),
    "float_parsing": (N_("must be a number"), None),
    "greater_than": (N_("must be greater than {limit}"), "gt"),
    "greater_than_equal": (N_("must be at least {limit}"), "ge"),
    "less_than": (N_("must be less than {limit}"), "lt"),
    "less_than_equal": (N_("must be at most {limit}"), "le"),
    "too_short": (N_("must have at least {limit} entries"), "min_length"),
    "too_long": (N_("must have at most {limit} entries"), "max_length"),
    "bool_type": (N_("must be true or false"), None),
    "bool_parsing": (N_("must be true or false"), None),
    "date_type": (N_("must be a date (yyyy-mm-dd)"), None),
    "date_parsing": (N_("must be a date (yyyy-mm-dd)"), None),
    "date_from_datetime_parsing": (N_("must be a date (yyyy-mm-dd)"), None),
    "date_from_datetime_inexact": (N_("must be a date (yyyy-mm-dd)"), None),
    "datetime_type": (N_("must be a time in ISO 8601 with an offset, e.g. 2027-01-15T12:00:00Z"), None),
    "datetime_parsing": (N_("must be a time in ISO 8601 with an offset, e.g. 2027-01-15T12:00:00Z"), None),
    "datetime_from_date_parsing": (N_("must be a time in ISO 8601 with an offset, e.g. 2027-01-15T12:00:00Z"), None),
    "timezone_aware": (N_("must name its offset from UTC, e.g. Z or +01:00"), None),
    "enum": (N_("must be one of {limit}"), "expected"),
    "literal_error": (N_("must be one of {limit}"), "expected"),
    "uuid_type": (N_("must be an id (a UUID)"), None),
    "uuid_parsing": (N_("must be an id (a UUID)"), None),
    "dict_type": (N_("must be an object"), None),
    "model_type": (N_("must be an object"), None),
    "list_type": (N_("must be a list"), None),
    "json_invalid": (N_("the body is not valid JSON"), None),
}  # fmt: skip


def field_message(error: Mapping[str, Any]) -> str | Text:
    """The message of one pydantic error (an item of `ValidationError.errors()`)."""
    context = error.get("ctx") or {}
    if error["type"] in ("value_error", "assertion_error"):
        cause = context.get("error")
        if isinstance(cause, Exception) and cause.args and isinstance(cause.args[0], Text):
            return cause.args[0]
    known = _BY_TYPE.get(error["type"])
    if known is None:
        return str(error["msg"])
    source, limit = known
    if limit is None:
        return Text(source)
    value = context.get(limit)
    if value is None:  # the type without its usual limit: pydantic's own words say it best
        return str(error["msg"])
    if limit == "expected":  # pydantic's list of choices ends in "... or 'c'": the English word goes
        value = str(value).replace(" or ", ", ")
    return Text(source, limit=value)
