"""Domain errors survive the trip through gRPC's rich status."""

from __future__ import annotations

import logging

import grpc
import pytest
from civicpool_common.errors import (
    STATUS_DETAILS_KEY,
    FieldViolation,
    InvalidArgument,
    NotFound,
    VersionConflict,
    from_rpc_error,
    to_grpc_status,
)
from civicpool_common.reasons import Reason
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2


def _as_rpc_error(code: grpc.StatusCode, message: str, trailers: tuple[tuple[str, bytes], ...]) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=message)


def test_field_violations_and_reason_round_trip() -> None:
    error = InvalidArgument("the item is not valid", violations=[FieldViolation("cpv_code", "wrong check digit")])
    remote = from_rpc_error(_as_rpc_error(*to_grpc_status(error)))
    assert remote.code is grpc.StatusCode.INVALID_ARGUMENT
    assert remote.reason == Reason.VALIDATION_FAILED
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
    assert (remote.code, remote.message, remote.reason) == (grpc.StatusCode.UNAVAILABLE, "connection refused", None)


def test_the_error_info_names_the_reason_and_the_code_is_the_reasons() -> None:
    code, _, trailers = to_grpc_status(InvalidArgument("no rows", reason=Reason.IMPORT_REJECTED))
    status = status_pb2.Status.FromString(trailers[0][1])
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert (code, info.reason, info.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "IMPORT_REJECTED", "civicpool")
    assert NotFound("x", reason=Reason.STATE_CONFLICT).code is grpc.StatusCode.FAILED_PRECONDITION


def test_a_reason_outside_the_table_cannot_be_raised() -> None:
    with pytest.raises(ValueError, match="not a reason"):
        NotFound("x", reason=Reason.REASON_UNSPECIFIED)


@pytest.mark.parametrize("name", ["SOMETHING_NEW", "REASON_UNSPECIFIED", ""])
def test_an_unknown_reason_from_a_remote_is_logged_and_taken_as_internal(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=name, domain="civicpool"))
    status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="gone", details=[info])
    with caplog.at_level(logging.ERROR, logger="civicpool.errors"):
        remote = from_rpc_error(
            _as_rpc_error(grpc.StatusCode.NOT_FOUND, "gone", ((STATUS_DETAILS_KEY, status.SerializeToString()),))
        )
    assert (remote.code, remote.reason) == (grpc.StatusCode.NOT_FOUND, Reason.INTERNAL)
    assert f"unknown reason {name!r}" in caplog.text
