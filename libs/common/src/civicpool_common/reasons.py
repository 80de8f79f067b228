"""The one table of error reasons: each Reason's gRPC code, HTTP status, problem type and title.

The proto enum civicpool.common.v1.Reason names every reason. A service raises a
DomainError with a Reason (civicpool_common.errors); its gRPC status has the
reason's code, and its google.rpc.ErrorInfo the Reason's name. The gateway reads
the name back into the Reason and answers the problem /problems/<slug> with the
reason's HTTP status and title. The slugs and titles are the public REST API's:
they never change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from civicpool.common.v1.errors_pb2 import Reason
from grpc import StatusCode as Code

__all__ = [
    "FOR_BARE_CODE",
    "FOR_HTTP_STATUS",
    "REASONS",
    "SERVICE_AWAY",
    "Meaning",
    "Reason",
    "named",
    "with_slug",
]

log = logging.getLogger("civicpool.errors")


@dataclass(frozen=True)
class Meaning:
    code: grpc.StatusCode  # on gRPC
    http_status: int  # on REST
    slug: str  # the problem's stable identity: its type is /problems/<slug>
    title: str  # the problem's title
    description: str  # when it happens: GET /problems/<slug> and the OpenAPI document say it

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


REASONS: dict[Reason.ValueType, Meaning] = {
    Reason.INTERNAL: Meaning(
        Code.INTERNAL, 500, "internal-error", "Internal error", "Something failed on our side; it has been logged."
    ),
    Reason.VALIDATION_FAILED: Meaning(
        Code.INVALID_ARGUMENT,
        422,
        "validation-failed",
        "Your request is not valid",
        "One or more fields break a rule; see `errors`.",
    ),
    Reason.UNAUTHENTICATED: Meaning(
        Code.UNAUTHENTICATED,
        401,
        "unauthenticated",
        "Sign-in required",
        "No access token, or one that is expired, forged or not for civicpool.",
    ),
    Reason.FORBIDDEN: Meaning(
        Code.PERMISSION_DENIED, 403, "forbidden", "Not allowed", "Your roles or your city do not allow this."
    ),
    Reason.NOT_FOUND: Meaning(
        Code.NOT_FOUND, 404, "not-found", "Not found", "No such resource, or you may not know it exists."
    ),
    Reason.ALREADY_EXISTS: Meaning(
        Code.ALREADY_EXISTS, 409, "already-exists", "Already exists", "A resource with the same unique value exists."
    ),
    Reason.STATE_CONFLICT: Meaning(
        Code.FAILED_PRECONDITION,
        409,
        "state-conflict",
        "Conflicts with the current state",
        "The resource is in a state that forbids this.",
    ),
    Reason.VERSION_CONFLICT: Meaning(
        Code.ABORTED,
        409,
        "version-conflict",
        "Edited by someone else",
        "Your version is outdated: reload, reapply, resend.",
    ),
    Reason.SERVICE_UNAVAILABLE: Meaning(
        Code.UNAVAILABLE,
        503,
        "service-unavailable",
        "Service unavailable",
        "A part of civicpool is down or unreachable; retry later.",
    ),
    Reason.IMPORT_REJECTED: Meaning(
        Code.INVALID_ARGUMENT,
        422,
        "import-rejected",
        "The import was rejected",
        "Rows of the file break rules; `errors` lists each with its `line`. Nothing was imported.",
    ),
    Reason.CITY_IN_COST_KEY: Meaning(
        Code.FAILED_PRECONDITION,
        409,
        "city-in-cost-key",
        "City still has a cost share",
        "Change the fixed cost keys naming the city first.",
    ),
    Reason.COST_KEY_INACTIVE: Meaning(
        Code.FAILED_PRECONDITION,
        409,
        "cost-key-inactive",
        "Cost key deactivated",
        "A deactivated cost key splits nothing.",
    ),
    # Answered by the gateway itself; the code is what a service would answer.
    Reason.UNREADABLE_FILE: Meaning(
        Code.INVALID_ARGUMENT,
        422,
        "unreadable-file",
        "The file cannot be read",
        "Not a CSV or XLSX file in the template's form; see `detail`.",
    ),
    Reason.PRECONDITION_FAILED: Meaning(
        Code.ABORTED,
        412,
        "precondition-failed",
        "Precondition failed",
        "The If-Match ETag is not the resource's current one.",
    ),
    Reason.PRECONDITION_REQUIRED: Meaning(
        Code.FAILED_PRECONDITION,
        428,
        "precondition-required",
        "Precondition required",
        "Send If-Match (or a version) so no change is lost.",
    ),
    Reason.UPSTREAM_TIMEOUT: Meaning(
        Code.DEADLINE_EXCEEDED,
        504,
        "upstream-timeout",
        "A service took too long",
        "A part of civicpool did not answer within its deadline.",
    ),
    Reason.RATE_LIMITED: Meaning(
        Code.RESOURCE_EXHAUSTED, 429, "rate-limited", "Too many requests", "Slow down and retry later."
    ),
    Reason.NOT_IMPLEMENTED: Meaning(
        Code.UNIMPLEMENTED, 501, "not-implemented", "Not implemented", "This operation does not exist (yet)."
    ),
    Reason.METHOD_NOT_ALLOWED: Meaning(
        Code.UNIMPLEMENTED,
        405,
        "method-not-allowed",
        "Method not allowed",
        "This path does not support this HTTP method.",
    ),
    Reason.BAD_REQUEST: Meaning(
        Code.INVALID_ARGUMENT, 400, "bad-request", "Bad request", "The request cannot be read."
    ),
    Reason.PAYLOAD_TOO_LARGE: Meaning(
        Code.RESOURCE_EXHAUSTED,
        413,
        "payload-too-large",
        "Request too large",
        "The request body is larger than this endpoint accepts.",
    ),
    Reason.UNSUPPORTED_MEDIA_TYPE: Meaning(
        Code.INVALID_ARGUMENT,
        415,
        "unsupported-media-type",
        "Unsupported media type",
        "Send application/json (or what the endpoint names).",
    ),
}

# A gRPC status without ErrorInfo is gRPC's own, not a service's DomainError (the service is away or going
# away, the deadline passed, no such method): its code alone says which reason it is.
FOR_BARE_CODE: dict[grpc.StatusCode, Reason.ValueType] = {
    Code.OK: Reason.INTERNAL,  # never an error; here so that every code has its reason
    Code.CANCELLED: Reason.SERVICE_UNAVAILABLE,  # the service cancelled the call as it shut down
    Code.UNKNOWN: Reason.INTERNAL,
    Code.INVALID_ARGUMENT: Reason.VALIDATION_FAILED,
    Code.DEADLINE_EXCEEDED: Reason.UPSTREAM_TIMEOUT,
    Code.NOT_FOUND: Reason.NOT_FOUND,
    Code.ALREADY_EXISTS: Reason.ALREADY_EXISTS,
    Code.PERMISSION_DENIED: Reason.FORBIDDEN,
    Code.RESOURCE_EXHAUSTED: Reason.RATE_LIMITED,
    Code.FAILED_PRECONDITION: Reason.STATE_CONFLICT,
    Code.ABORTED: Reason.VERSION_CONFLICT,
    Code.OUT_OF_RANGE: Reason.VALIDATION_FAILED,
    Code.UNIMPLEMENTED: Reason.NOT_IMPLEMENTED,
    Code.INTERNAL: Reason.INTERNAL,
    Code.UNAVAILABLE: Reason.SERVICE_UNAVAILABLE,
    Code.DATA_LOSS: Reason.INTERNAL,
    Code.UNAUTHENTICATED: Reason.UNAUTHENTICATED,
}

# An HTTP error the web framework answers by itself (no such route, another method, an unreadable body):
# its status alone says which reason it is. Any other status: bad-request below 500, internal-error above.
FOR_HTTP_STATUS: dict[int, Reason.ValueType] = {
    400: Reason.BAD_REQUEST,
    401: Reason.UNAUTHENTICATED,
    403: Reason.FORBIDDEN,
    404: Reason.NOT_FOUND,
    405: Reason.METHOD_NOT_ALLOWED,
    413: Reason.PAYLOAD_TOO_LARGE,
    415: Reason.UNSUPPORTED_MEDIA_TYPE,
    422: Reason.VALIDATION_FAILED,
}

# The other service is away, going away (it cancels calls as it shuts down) or too slow: retry later.
SERVICE_AWAY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED)

_BY_SLUG = {meaning.slug: reason for reason, meaning in REASONS.items()}


def named(name: str) -> Reason.ValueType:
    """The Reason an ErrorInfo names. A name this vocabulary lacks (a newer service's?) is logged and
    taken as INTERNAL: the caller cannot know what it means."""
    try:
        reason = Reason.Value(name)
    except ValueError:
        reason = Reason.REASON_UNSPECIFIED
    if reason not in REASONS:
        log.error("an error with the unknown reason %r: taken as INTERNAL", name)
        return Reason.INTERNAL
    return reason


def with_slug(slug: str) -> Reason.ValueType | None:
    """The Reason whose problem type is /problems/<slug>, if any."""
    return _BY_SLUG.get(slug)
