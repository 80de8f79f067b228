"""One error vocabulary: every Reason has its code, status, problem type and title."""

from __future__ import annotations

import re

import grpc
import pytest
from civicpool_common.reasons import FOR_BARE_CODE, FOR_HTTP_STATUS, REASONS, Reason, with_slug

EVERY_REASON = [reason for reason in Reason.values() if reason != Reason.REASON_UNSPECIFIED]

# The public REST API's problem types: they never change (a client switches on them).
PUBLIC_PROBLEMS = {
    "INTERNAL": ("internal-error", 500),
    "VALIDATION_FAILED": ("validation-failed", 422),
    "UNAUTHENTICATED": ("unauthenticated", 401),
    "FORBIDDEN": ("forbidden", 403),
    "NOT_FOUND": ("not-found", 404),
    "ALREADY_EXISTS": ("already-exists", 409),
    "STATE_CONFLICT": ("state-conflict", 409),
    "VERSION_CONFLICT": ("version-conflict", 409),
    "SERVICE_UNAVAILABLE": ("service-unavailable", 503),
    "IMPORT_REJECTED": ("import-rejected", 422),
    "CITY_IN_COST_KEY": ("city-in-cost-key", 409),
    "COST_KEY_INACTIVE": ("cost-key-inactive", 409),
    "UNREADABLE_FILE": ("unreadable-file", 422),
    "PRECONDITION_FAILED": ("precondition-failed", 412),
    "PRECONDITION_REQUIRED": ("precondition-required", 428),
    "UPSTREAM_TIMEOUT": ("upstream-timeout", 504),
    "RATE_LIMITED": ("rate-limited", 429),
    "NOT_IMPLEMENTED": ("not-implemented", 501),
    "METHOD_NOT_ALLOWED": ("method-not-allowed", 405),
    "BAD_REQUEST": ("bad-request", 400),
    "PAYLOAD_TOO_LARGE": ("payload-too-large", 413),
    "UNSUPPORTED_MEDIA_TYPE": ("unsupported-media-type", 415),
}


@pytest.mark.parametrize("reason", EVERY_REASON, ids=Reason.Name)
def test_every_reason_has_its_code_status_problem_type_and_title(reason: Reason.ValueType) -> None:
    assert reason in REASONS, f"{Reason.Name(reason)} is missing from civicpool_common.reasons.REASONS"
    meaning = REASONS[reason]
    assert isinstance(meaning.code, grpc.StatusCode)
    assert meaning.code is not grpc.StatusCode.OK
    assert 400 <= meaning.http_status <= 599
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", meaning.slug)
    assert meaning.title.strip()
    assert meaning.description.strip()
    assert with_slug(meaning.slug) == reason  # one reason per problem type


def test_the_table_names_only_reasons_and_keeps_the_public_problem_types() -> None:
    assert set(REASONS) == set(EVERY_REASON)
    assert {Reason.Name(r): (m.slug, m.http_status) for r, m in REASONS.items()} == PUBLIC_PROBLEMS


def test_a_status_without_a_reason_has_one_by_its_code_and_the_framework_s_by_its_status() -> None:
    assert set(FOR_BARE_CODE) == set(grpc.StatusCode)
    assert all(REASONS[reason].http_status == status for status, reason in FOR_HTTP_STATUS.items())
