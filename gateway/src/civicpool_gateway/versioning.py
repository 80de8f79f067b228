"""Optimistic concurrency on REST: ETags, If-Match, and the version a change names.

A client names the version it edited as the ETag in `If-Match` (a stale one
answers 412) or as `version` in the body (a stale one answers 409). Neither is
428: a change without a version could silently overwrite someone else's. The
clients (clients/) turn a stale version the service reports into 412 when it
came as If-Match (`ExpectedVersion.via_if_match`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, TypeVar

from civicpool_common.messages import Text
from civicpool_common.reasons import Reason
from fastapi import Response

from civicpool_gateway.problems import Problem

ETAG_RE = re.compile(r'"([1-9][0-9]{0,11})"')


class Versioned(Protocol):
    """A record with a version: its ETag."""

    @property
    def version(self) -> int: ...


class VersionedPatch(Protocol):
    """A PATCH body: the fields it sets, and the version it may name."""

    @property
    def version(self) -> int | None: ...

    @property
    def model_fields_set(self) -> set[str]: ...


Record = TypeVar("Record", bound=Versioned)


@dataclass(frozen=True)
class ExpectedVersion:
    """The version a change expects (0: no check), and whether the client named it as If-Match."""

    number: int = 0
    via_if_match: bool = False


NO_CHECK = ExpectedVersion()


def etag(version: int) -> str:
    return f'"{version}"'


def with_etag(record: Record, response: Response) -> Record:
    """The record, its version also going out as the response's ETag."""
    response.headers["ETag"] = etag(record.version)
    return record


def expected_version(if_match: str | None, body_version: int | None) -> ExpectedVersion:
    """The version the client edited, from If-Match or the body (428 without either)."""
    if if_match is None:
        if body_version is not None:
            return ExpectedVersion(body_version, via_if_match=False)
        raise Problem(
            Reason.PRECONDITION_REQUIRED,
            Text("say which version you edited: send the ETag as If-Match, or the version in the body"),
        )
    tag = if_match.strip()
    if tag == "*":
        raise Problem(
            Reason.PRECONDITION_REQUIRED, Text('If-Match: * names no version; send the ETag you read, e.g. "3"')
        )
    if tag.startswith("W/"):
        raise Problem(Reason.PRECONDITION_FAILED, Text("If-Match compares strongly: a weak ETag (W/...) never matches"))
    match = ETAG_RE.fullmatch(tag)
    if match is None:
        raise Problem(
            Reason.VALIDATION_FAILED,
            Text('If-Match must be an ETag this API handed out, e.g. "3", not {value}', value=repr(if_match)),
            errors=[{"field": "If-Match", "message": Text("not an ETag of this API")}],
        )
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise Problem(
            Reason.VALIDATION_FAILED,
            Text("If-Match and version disagree; send one of them"),
            errors=[{"field": "version", "message": Text("If-Match says {version}", version=version)}],
        )
    return ExpectedVersion(version, via_if_match=True)


def patch_version(body: VersionedPatch, if_match: str | None) -> ExpectedVersion:
    """The version a PATCH edits (If-Match or the body), once it names at least one field to change (else 422)."""
    version = expected_version(if_match, body.version)
    if not body.model_fields_set - {"version"}:
        raise Problem(Reason.VALIDATION_FAILED, Text("name at least one field to change"))
    return version


def optional_version(if_match: str | None) -> ExpectedVersion:
    """For actions where the version is optional: no check without If-Match."""
    return expected_version(if_match, None) if if_match is not None else NO_CHECK


def version_if_named(if_match: str | None, body_version: int | None) -> ExpectedVersion:
    """For changes where the version is optional: checked when If-Match or the body names one."""
    return expected_version(if_match, body_version) if if_match or body_version else NO_CHECK
