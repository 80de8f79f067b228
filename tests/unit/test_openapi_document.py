"""The committed openapi.json is a complete contract: names, summaries, security, problems, examples, paging.

(test_generated_fresh checks that the file is the app's own; this checks what is in it.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.openapi import committed_openapi

# Lists that are not paged, and why: a tender's bids are one per vendor and lot; budgets one per city and year.
UNPAGED_LISTS = {"list_bids", "list_budgets"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return committed_openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _has_example(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:  # an optional body: the body or null
        return any(_has_example(spec, member) for member in schema["anyOf"] if member.get("type") != "null")
    schema = _resolve(spec, schema)
    if "examples" in schema or "example" in schema:
        return True
    return any("examples" in prop or "example" in prop for prop in schema.get("properties", {}).values())


def test_every_operation_has_a_unique_id_and_a_summary(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _, _, op in _operations(spec)]
    assert all(ids) and len(ids) == len(set(ids))
    assert [op["operationId"] for _, _, op in _operations(spec) if not op.get("summary")] == []


def test_every_api_operation_needs_a_keycloak_token(spec: dict[str, Any]) -> None:
    bearer = spec["components"]["securitySchemes"]["HTTPBearer"]
    assert (bearer["scheme"], bearer["bearerFormat"]) == ("bearer", "JWT")
    open_api = [op["operationId"] for path, _, op in _operations(spec)
                if path.startswith("/api/") and {"HTTPBearer": []} not in op.get("security", [])]  # fmt: skip
    assert open_api == []


def test_every_api_operation_documents_its_problems(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for path, method, op in _operations(spec):
        if not path.startswith("/api/"):
            continue
        expected = {"401", "403", "422", "503"} | ({"404"} if "{" in path else set()) | (
            {"404", "409"} if method != "get" else set()) | ({"400"} if "requestBody" in op else set())  # fmt: skip
        assert expected <= set(op["responses"]), op["operationId"]
        for status in expected:
            content = op["responses"][status]["content"]
            assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_json_request_body_has_an_example(spec: dict[str, Any]) -> None:
    missing = [op["operationId"] for _, _, op in _operations(spec)
               if "application/json" in op.get("requestBody", {}).get("content", {})
               and not _has_example(spec, op["requestBody"]["content"]["application/json"]["schema"])]  # fmt: skip
    assert missing == []


def test_every_list_is_paged_with_limit_and_cursor(spec: dict[str, Any]) -> None:
    lists = [op for _, method, op in _operations(spec) if method == "get" and op["operationId"].startswith("list_")]
    assert len(lists) >= 10
    for op in lists:
        names = {p["name"] for p in op.get("parameters", [])}
        assert op["operationId"] in UNPAGED_LISTS or {"limit", "cursor"} <= names, op["operationId"]
