"""RFC 9457 problem details: every error the API returns is one of these.

A problem's `type` is a stable URI reference (/problems/<slug>) that clients
can switch on; `detail` is for people; validation problems list the fields.
gRPC errors from the services become problems through the one status table in
civicpool_common.status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import grpc
from civicpool_common.errors import RemoteError
from civicpool_common.observability import REQUEST_ID_HEADER, current_request_id
from civicpool_common.status import SERVICE_AWAY, http_status_for
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
URI_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar (and "/"); everything else is percent-encoded
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="civicpool"'}
_SLUG_BY_HTTP_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
}

# slug -> (title, when it happens). The slug is the problem's stable identity.
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "validation-failed": ("Your request is not valid", "One or more fields break a rule; see `errors`."),
    "unauthenticated": ("Sign-in required", "No access token, or one that is expired, forged or not for civicpool."),
    "forbidden": ("Not allowed", "Your roles or your city do not allow this."),
    "not-found": ("Not found", "No such resource, or you may not know it exists."),
    "already-exists": ("Already exists", "A resource with the same unique value exists."),
    "state-conflict": ("Conflicts with the current state", "The resource is in a state that forbids this."),
    "import-rejected": (
        "The import was rejected",
        "Rows of the file break rules; `errors` lists each with its `line`. Nothing was imported.",
    ),
    "unreadable-file": ("The file cannot be read", "Not a CSV or XLSX file in the template's form; see `detail`."),
    "city-in-cost-key": ("City still has a cost share", "Change the fixed cost keys naming the city first."),
    "cost-key-inactive": ("Cost key deactivated", "A deactivated cost key splits nothing."),
    "version-conflict": ("Edited by someone else", "Your version is outdated: reload, reapply, resend."),
    "precondition-failed": ("Precondition failed", "The If-Match ETag is not the resource's current one."),
    "precondition-required": ("Precondition required", "Send If-Match (or a version) so no change is lost."),
    "service-unavailable": ("Service unavailable", "A part of civicpool is down or unreachable; retry later."),
    "upstream-timeout": ("A service took too long", "A part of civicpool did not answer within its deadline."),
    "rate-limited": ("Too many requests", "Slow down and retry later."),
    "not-implemented": ("Not implemented", "This operation does not exist (yet)."),
    "method-not-allowed": ("Method not allowed", "This path does not support this HTTP method."),
    "bad-request": ("Bad request", "The request cannot be read."),
    "payload-too-large": ("Request too large", "The request body is larger than this endpoint accepts."),
    "unsupported-media-type": ("Unsupported media type", "Send application/json (or what the endpoint names)."),
    "internal-error": ("Internal error", "Something failed on our side; it has been logged."),
}

_SLUG_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: "validation-failed",
    grpc.StatusCode.OUT_OF_RANGE: "validation-failed",
    grpc.StatusCode.UNAUTHENTICATED: "unauthenticated",
    grpc.StatusCode.PERMISSION_DENIED: "forbidden",
    grpc.StatusCode.NOT_FOUND: "not-found",
    grpc.StatusCode.ALREADY_EXISTS: "already-exists",
    grpc.StatusCode.FAILED_PRECONDITION: "state-conflict",
    grpc.StatusCode.ABORTED: "version-conflict",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "rate-limited",
    grpc.StatusCode.UNIMPLEMENTED: "not-implemented",
    grpc.StatusCode.UNAVAILABLE: "service-unavailable",
    grpc.StatusCode.CANCELLED: "service-unavailable",  # the service cancelled the call as it shut down
    grpc.StatusCode.DEADLINE_EXCEEDED: "upstream-timeout",
}


class Problem(Exception):
    """Raise anywhere in the gateway to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug if slug in PROBLEM_TYPES else "internal-error"
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def from_remote(cls, error: RemoteError, service: str) -> Problem:
        slug = error.reason.lower().replace("_", "-") if error.reason else ""
        if slug not in PROBLEM_TYPES:
            slug = _SLUG_BY_CODE.get(error.code, "internal-error")
        detail = error.message
        if error.code in SERVICE_AWAY:
            detail = f"the {service} service is unavailable: {error.message or error.code.name.lower()}"
        elif slug == "internal-error":
            detail = f"the {service} service failed; it has been logged"
        extra: dict[str, Any] = {}
        if "current_version" in error.metadata:
            extra["current_version"] = int(error.metadata["current_version"])
        if "current_status" in error.metadata:
            extra["current_status"] = error.metadata["current_status"]
        status = http_status_for(error.code)
        return cls(
            status,
            slug,
            detail,
            errors=[_violation(v.field, v.description) for v in error.violations],
            headers=BEARER_CHALLENGE if status == 401 else None,
            extra=extra,
        )

    def response(self, request: Request) -> JSONResponse:
        title, _ = PROBLEM_TYPES[self.slug]
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "instance": quote(request.url.path, safe=URI_PATH_SAFE),  # a URI reference, even for odd paths
            **self.extra,
        }
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_MEDIA_TYPE)


_LINE_FIELD = re.compile(r"line (\d+)\.(.+)")


def _violation(field: str, message: str) -> dict[str, Any]:
    """A field error; a spreadsheet row's ("line 12.quantity") carries its line number apart."""
    if match := _LINE_FIELD.fullmatch(field):
        return {"line": int(match.group(1)), "field": match.group(2), "message": message}
    return {"field": field, "message": message}


def _field_name(location: Sequence[int | str]) -> str:
    parts = (
        [str(p) for p in location[1:]]
        if location and location[0] in ("body", "query", "path", "header")
        else [str(p) for p in location]
    )
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Route every error the app can raise to a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": "body" if e["type"] == "json_invalid" else _field_name(e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return Problem(422, "validation-failed", f"the request is not valid ({fields})", errors=errors).response(
            request
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        fallback = "bad-request" if exc.status_code < 500 else "internal-error"
        slug = _SLUG_BY_HTTP_STATUS.get(exc.status_code, fallback)
        return Problem(exc.status_code, slug, str(exc.detail), headers=exc.headers).response(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("civicpool.gateway").exception("unexpected error on %s", request.url.path)
        # Answered outside the middleware that tags responses: tag this one here, with the id in the log.
        request_id = {REQUEST_ID_HEADER: current_request_id.get()} if current_request_id.get() else None
        problem = Problem(500, "internal-error", "something failed on our side; it has been logged", headers=request_id)
        return problem.response(request)


# --- the OpenAPI document: every operation names the problems it can answer ---------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` is stable (switch on it), `detail` is for people.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "examples": ["/problems/state-conflict"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "array",
            "description": "Validation problems: one per field, a spreadsheet row's with its `line`",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "line": {"type": "integer"},
                    "message": {"type": "string"},
                },
            },
        },
        "current_version": {"type": "integer", "description": "With version-conflict: the version to reload"},
        "current_status": {"type": "string", "description": "With state-conflict: the resource's status now"},
    },
    "additionalProperties": True,
}
_PROBLEM_REF = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _documented(slug: str) -> dict[str, Any]:
    title, when = PROBLEM_TYPES[slug]
    return {"description": f"{title}: {when}", "content": _PROBLEM_REF}


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the Problem schema and each API operation's problem responses; drop FastAPI's own 422 shape."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    bearer = spec["components"].get("securitySchemes", {}).get("HTTPBearer")
    if bearer is not None:
        bearer["bearerFormat"] = "JWT"
        bearer["description"] = (
            "An access token from Keycloak (realm civicpool), e.g. by the code flow or `civicpool token`."
        )
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            headers = {p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
            answers = {401: "unauthenticated", 403: "forbidden", 422: "validation-failed", 503: "service-unavailable"}
            if "{" in path or method != "get":  # the resource, or one the request names
                answers[404] = "not-found"
            if method != "get":
                answers[409] = "state-conflict"
            if "requestBody" in operation:
                answers[400] = "bad-request"  # a body that cannot be read at all (not JSON, not UTF-8)
            if "if-match" in headers:
                answers[412] = "precondition-failed"
                answers[428] = "precondition-required"
            responses = operation.setdefault("responses", {})
            for status, slug in answers.items():
                responses[str(status)] = _documented(slug)
            operation["responses"] = dict(sorted(responses.items()))
    return spec
