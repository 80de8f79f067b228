"""Optimistic concurrency on REST: ETags, If-Match, and what a stale version answers.

A client names the version it edited as the ETag in `If-Match` (a stale one
answers 412) or as `version` in the body (a stale one answers 409). Neither is
428: a change without a version could silently overwrite someone else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Response
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from pydantic import BaseModel

from civicpool_gateway.auth import Caller
from civicpool_gateway.clients import ServiceClients
from civicpool_gateway.convert import MessageShape
from civicpool_gateway.problems import Problem

Model = TypeVar("Model", bound=BaseModel)

ETAG_RE = re.compile(r'"([1-9][0-9]{0,11})"')


def etag(version: int) -> str:
    return f'"{version}"'


def versioned_out(model: type[Model], shape: MessageShape, message: Message, response: Response | None) -> Model:
    """A reply as its REST model; with a response, its version also goes out as the ETag."""
    record = model.model_validate(shape.from_proto(message))
    if response is not None:
        response.headers["ETag"] = etag(getattr(record, "version"))  # noqa: B009 - every versioned model has it
    return record


def expected_version(if_match: str | None, body_version: int | None) -> tuple[int, bool]:
    """The version the client edited, and whether it came as If-Match."""
    if if_match is None:
        if body_version is not None:
            return body_version, False
        raise Problem(
            428,
            "precondition-required",
            "say which version you edited: send the ETag as If-Match, or the version in the body",
        )
    tag = if_match.strip()
    if tag == "*":
        raise Problem(428, "precondition-required", 'If-Match: * names no version; send the ETag you read, e.g. "3"')
    if tag.startswith("W/"):
        raise Problem(412, "precondition-failed", "If-Match compares strongly: a weak ETag (W/...) never matches")
    match = ETAG_RE.fullmatch(tag)
    if match is None:
        raise Problem(
            422,
            "validation-failed",
            f'If-Match must be an ETag this API handed out, e.g. "3", not {if_match!r}',
            errors=[{"field": "If-Match", "message": "not an ETag of this API"}],
        )
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise Problem(
            422,
            "validation-failed",
            "If-Match and version disagree; send one of them",
            errors=[{"field": "version", "message": f"If-Match says {version}"}],
        )
    return version, True


@dataclass(frozen=True)
class PatchRequest:
    """What a PATCH asks: the changed fields (None: cleared), their field mask, and the version it edits."""

    changes: dict[str, Any]
    mask: FieldMask
    version: int
    via_if_match: bool


def patch_request(body: BaseModel, if_match: str | None) -> PatchRequest:
    """The fields a PATCH body sets (422 if none), with the version from If-Match or the body."""
    version, via_if_match = expected_version(if_match, getattr(body, "version"))  # noqa: B009 - every Patch has it
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    if not changes:
        raise Problem(422, "validation-failed", "name at least one field to change")
    return PatchRequest(changes, FieldMask(paths=sorted(changes)), version, via_if_match)


def optional_version(if_match: str | None) -> tuple[int, bool]:
    """For actions where the version is optional: (0, False) without If-Match."""
    return expected_version(if_match, None) if if_match is not None else (0, False)


async def call_write(
    services: ServiceClients, service: str, rpc: str, request: Message, caller: Caller, *, via_if_match: bool
) -> Message:
    """Call a writing RPC; a stale If-Match is a failed precondition (412), not a conflict (409)."""
    try:
        reply: Message = await services.call(service, getattr(services.stub(service), rpc), request, caller.token)
    except Problem as problem:
        if via_if_match and problem.slug == "version-conflict":
            raise Problem(412, "precondition-failed", problem.detail, extra=problem.extra) from None
        raise
    return reply
