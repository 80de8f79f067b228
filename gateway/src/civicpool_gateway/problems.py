"""RFC 9457 problem details: every error the API returns is one of these.

A problem's `type` is a stable URI reference (/problems/<slug>) that clients
can switch on; `detail` is for people; validation problems list the fields.
Every problem has a Reason; its status, type and title are in the one table of
reasons, civicpool_common.reasons. A service's error names its Reason in the
gRPC status (ErrorInfo), and becomes the problem of that Reason. The title is
in the language the request's Accept-Language prefers (German or English,
English without one); the type never changes with the language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from civicpool_common import messages
from civicpool_common.errors import RemoteError
from civicpool_common.observability import REQUEST_ID_HEADER, current_request_id
from civicpool_common.reasons import FOR_BARE_CODE, FOR_HTTP_STATUS, REASONS, SERVICE_AWAY, Reason
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicpool_gateway.field_errors import field_message
from civicpool_gateway.language import language_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
URI_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar (and "/"); everything else is percent-encoded
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="civicpool"'}
log = logging.getLogger("civicpool.gateway")


class Problem(Exception):
    """Raise anywhere in the gateway to answer with a problem document."""

    def __init__(
        self,
        reason: Reason.ValueType,
        detail: str | messages.Text,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        """A problem of `reason`, with its HTTP status unless `status` says another (the web framework's)."""
        super().__init__(str(detail))
        self.reason = reason
        self.status = REASONS[reason].http_status if status is None else status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def from_remote(cls, error: RemoteError, service: str) -> Problem:
        """The problem of a service's error: its Reason's (from_rpc_error took an unknown one as INTERNAL);
        a status without a reason (gRPC's own: the service is away, too slow) by its code alone."""
        reason = FOR_BARE_CODE[error.code] if error.reason is None else error.reason
        detail: str | messages.Text = error.message
        if error.code in SERVICE_AWAY:
            cause = error.message or error.code.name.lower()
            detail = messages.Text("the {service} service is unavailable: {cause}", service=service, cause=cause)
        elif reason == Reason.INTERNAL:
            detail = messages.Text("the {service} service failed; it has been logged", service=service)
        extra: dict[str, Any] = {}
        if "current_version" in error.metadata:
            extra["current_version"] = int(error.metadata["current_version"])
        if "current_status" in error.metadata:
            extra["current_status"] = error.metadata["current_status"]
        return cls(
            reason,
            detail,
            errors=[_violation(v.field, v.description) for v in error.violations],
            headers=BEARER_CHALLENGE if reason == Reason.UNAUTHENTICATED else None,
            extra=extra,
        )

    def response(self, request: Request) -> JSONResponse:
        meaning = REASONS[self.reason]
        language = language_of(request)
        body: dict[str, Any] = {
            "type": meaning.type,
            "title": messages.text(language, meaning.title),
            "status": self.status,
            "detail": messages.rendered(self.detail, language),
            "instance": quote(request.url.path, safe=URI_PATH_SAFE),  # a URI reference, even for odd paths
            **self.extra,
        }
        if self.errors:
            body["errors"] = [{**e, "message": messages.rendered(e["message"], language)} for e in self.errors]
        headers = {**self.headers, "Content-Language": language, "Vary": "Accept-Language"}
        return JSONResponse(body, status_code=self.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


_LINE_FIELD = re.compile(r"line (\d+)\.(.+)")


def _violation(field: str, message: str | messages.Text) -> dict[str, Any]:
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
        names = ["body" if e["type"] == "json_invalid" else _field_name(e["loc"]) for e in exc.errors()]
        errors = [{"field": name, "message": field_message(e)} for name, e in zip(names, exc.errors(), strict=True)]
        fields = ", ".join(dict.fromkeys(names))
        detail = messages.Text("the request is not valid ({fields})", fields=fields)
        return Problem(Reason.VALIDATION_FAILED, detail, errors=errors).response(request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        other = Reason.BAD_REQUEST if exc.status_code < 500 else Reason.INTERNAL  # a status without its own reason
        reason = FOR_HTTP_STATUS.get(exc.status_code, other)
        problem = Problem(reason, str(exc.detail), headers=exc.headers, status=exc.status_code)
        return problem.response(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        # Answered outside the middleware that tags responses: tag this one here, with the id in the log.
        request_id = {REQUEST_ID_HEADER: current_request_id.get()} if current_request_id.get() else None
        detail = messages.Text("something failed on our side; it has been logged")
        problem = Problem(Reason.INTERNAL, detail, headers=request_id)
        return problem.response(request)


# --- the OpenAPI document: every operation names the problems it can answer ---------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` is stable (switch on it), `detail` is for people.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "examples": [REASONS[Reason.STATE_CONFLICT].type]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "array",
            "description": (
                "Validation problems: one per field; a spreadsheet row's with its `line` (as the spreadsheet "
                "program numbers it), the `column` heading as the file wrote it and the `sheet` (XLSX, ODS)"
            ),
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "line": {"type": "integer"},
                    "column": {"type": "string"},
                    "sheet": {"type": "string"},
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


def _documented(reason: Reason.ValueType) -> dict[str, Any]:
    meaning = REASONS[reason]
    return {"description": f"{meaning.title}: {meaning.description}", "content": _PROBLEM_REF}


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
            answers = [Reason.UNAUTHENTICATED, Reason.FORBIDDEN, Reason.VALIDATION_FAILED, Reason.SERVICE_UNAVAILABLE]
            if "{" in path or method != "get":  # the resource, or one the request names
                answers.append(Reason.NOT_FOUND)
            if method != "get":
                answers.append(Reason.STATE_CONFLICT)
            if "requestBody" in operation:
                answers.append(Reason.BAD_REQUEST)  # a body that cannot be read at all (not JSON, not UTF-8)
            if "if-match" in headers:
                answers += [Reason.PRECONDITION_FAILED, Reason.PRECONDITION_REQUIRED]
            responses = operation.setdefault("responses", {})
            for reason in answers:
                responses[str(REASONS[reason].http_status)] = _documented(reason)
            operation["responses"] = dict(sorted(responses.items()))
    return spec
