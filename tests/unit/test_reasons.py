"""One error vocabulary: every Reason has its code, status, problem type and title; no code raises another."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grpc
import pytest
from civicpool_common.errors import STATUS_DETAILS_KEY, DomainError, RemoteError, from_rpc_error, to_grpc_status
from civicpool_common.reasons import FOR_BARE_CODE, FOR_HTTP_STATUS, REASONS, Reason, with_slug
from civicpool_gateway.problems import Problem
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "libs" / "common" / "src", *ROOT.glob("services/*/src"), *(ROOT.glob("*/src"))]
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


@pytest.mark.parametrize("reason", EVERY_REASON, ids=Reason.Name)
def test_a_services_error_becomes_the_problem_of_its_reason(reason: Reason.ValueType) -> None:
    code, message, trailers = to_grpc_status(DomainError("refused", reason=reason))
    call = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=message)
    problem = Problem.from_remote(from_rpc_error(call), "catalog")
    assert (problem.reason, problem.status) == (reason, REASONS[reason].http_status)


def test_a_call_the_service_cancelled_while_shutting_down_is_a_503_to_retry() -> None:
    problem = Problem.from_remote(RemoteError(grpc.StatusCode.CANCELLED, "Server Shutdown"), "catalog")
    assert (problem.status, problem.reason) == (503, Reason.SERVICE_UNAVAILABLE)
    assert str(problem.detail) == "the catalog service is unavailable: Server Shutdown"


def test_an_unknown_reason_of_a_remote_is_logged_and_an_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="SOMETHING_NEW", domain="civicpool"))
    status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="gone", details=[info])
    trailers = grpc.aio.Metadata((STATUS_DETAILS_KEY, status.SerializeToString()))
    call = grpc.aio.AioRpcError(grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), trailers, details="gone")
    problem = Problem.from_remote(from_rpc_error(call), "catalog")
    assert (problem.status, problem.reason) == (500, Reason.INTERNAL)
    assert str(problem.detail) == "the catalog service failed; it has been logged"
    assert "unknown reason 'SOMETHING_NEW'" in caplog.text


def _domain_errors(trees: dict[Path, ast.Module]) -> set[str]:
    """The names of DomainError and every class that derives from it, in the sources."""
    bases = {
        node.name: {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    names = {"DomainError"}
    while grown := {name for name, of in bases.items() if of & names} - names:
        names |= grown
    return names


def _reasons_given(tree: ast.Module, errors: set[str]) -> list[ast.expr]:
    """The reasons the code names: `reason=` of a DomainError (or its super().__init__), its `default_reason`,
    and the first argument of a Problem."""
    given: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if callee in errors:
                given += [k.value for k in node.keywords if k.arg == "reason"]
            if callee == "Problem" and node.args:
                given.append(node.args[0])
        elif isinstance(node, ast.ClassDef) and node.name in errors:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Assign) and "default_reason" in {getattr(t, "id", "") for t in inner.targets}:
                    given.append(inner.value)
                elif isinstance(inner, ast.Call) and getattr(inner.func, "attr", "") == "__init__":
                    given += [k.value for k in inner.keywords if k.arg == "reason"]
    return given


def test_no_code_raises_a_reason_outside_the_enum() -> None:
    """A DomainError's reason, and a Problem's, is a member of Reason: never a string (mypy checks the type)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for src in SOURCES for path in src.rglob("*.py")}
    errors = _domain_errors(trees)
    assert {"InvalidArgument", "StateConflict", "RoundPastDeadline"} <= errors  # the scan finds the classes
    members = {Reason.Name(reason) for reason in REASONS}
    given = [(path, value) for path, tree in trees.items() for value in _reasons_given(tree, errors)]
    assert len(given) > 30  # the scan sees them
    wrong = [
        f"{path.relative_to(ROOT)}:{value.lineno}: {ast.unparse(value)}"
        for path, value in given
        if isinstance(value, ast.Constant)
        or (
            isinstance(value, ast.Attribute)
            and getattr(value.value, "id", "") == "Reason"
            and value.attr not in members
        )
    ]
    assert not wrong, "reasons outside civicpool.common.v1.Reason:\n" + "\n".join(wrong)
