"""Domain errors survive the trip through gRPC's rich status."""

from __future__ import annotations

import grpc
from civicpool_common.errors import (
    STATUS_DETAILS_KEY,
    FieldViolation,
    InvalidArgument,
    VersionConflict,
    from_rpc_error,
    to_grpc_status,
)


def _as_rpc_error(code: grpc.StatusCode, message: str, trailers: tuple[tuple[str, bytes], ...]) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=message)


def test_field_violations_and_reason_round_trip() -> None:
    error = InvalidArgument("the item is not valid", violations=[FieldViolation("cpv_code", "wrong check digit")])
    remote = from_rpc_error(_as_rpc_error(*to_grpc_status(error)))
    assert remote.code is grpc.StatusCode.INVALID_ARGUMENT
    assert remote.reason == "VALIDATION_FAILED"
    assert remote.violations == (FieldViolation("cpv_code", "wrong check digit"),)


def test_version_conflict_carries_the_current_version() -> None:
    code, message, trailers = to_grpc_status(VersionConflict("item 7", expected=2, current=5))
    remote = from_rpc_error(_as_rpc_error(code, message, trailers))
    assert remote.code is grpc.StatusCode.ABORTED
    assert remote.metadata == {"expected_version": "2", "current_version": "5"}
    assert "version 2" in remote.message
    assert trailers[0][0] == STATUS_DETAILS_KEY


def test_a_plain_grpc_error_without_details_is_understood() -> None:
    remote = from_rpc_error(_as_rpc_error(grpc.StatusCode.UNAVAILABLE, "connection refused", ()))
    assert (remote.code, remote.message, remote.reason) == (grpc.StatusCode.UNAVAILABLE, "connection refused", "")
