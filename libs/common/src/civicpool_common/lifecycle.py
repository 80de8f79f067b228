"""Status machines of records (demand rounds, tenders): which action moves which status where.

A refused action is a StateConflict: FAILED_PRECONDITION on gRPC, 409
`state-conflict` on REST, with the current status in the message and in
`current_status`, so a client can tell what happened without reading again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from civicpool_common.errors import FailedPrecondition, InvalidArgument
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.reasons import Reason

Status = TypeVar("Status", bound=StrEnum)


class StateConflict(FailedPrecondition):
    """The record's status forbids the request; the message and metadata name the status."""

    def __init__(self, message: str | Text, current: str) -> None:
        super().__init__(message, reason=Reason.STATE_CONFLICT, metadata={"current_status": current})


@dataclass(frozen=True)
class Transition(Generic[Status]):
    verb: str  # for messages, marked with N_: "opened", "closed for bids"
    allowed_from: frozenset[Status]
    to: Status


# The records with a status machine; the noun is also the kind of their statuses' labels.
NOUNS = {"round": N_("round"), "tender": N_("tender")}


def check_transition(noun: str, transitions: Mapping[str, Transition[Status]], action: str, current: str) -> Status:
    """The status after `action`, or StateConflict: "the round is draft; only a round in status open can be
    closed" (statuses as their labels in the reader's language)."""
    transition = transitions[action]
    if current not in {status.value for status in transition.allowed_from}:
        allowed = sorted(s.value for s in transition.allowed_from)
        message = Text(
            "the {noun} is {current}; only a {noun} in status {allowed} can be {verb}",
            noun=Text(NOUNS[noun]),
            current=Labels(noun, current),
            allowed=Labels(noun, *allowed),
            verb=Text(transition.verb),
        )
        raise StateConflict(message, current)
    return transition.to


def check_edit(changes: Mapping[str, object], expected_version: int) -> None:
    """An edit names what it changes and the version it changed, so no one's edit is silently lost."""
    if not changes:
        raise InvalidArgument.for_field("update_mask", Text("name at least one field to change"))
    if not expected_version:
        raise InvalidArgument.for_field("expected_version", Text("send the version you changed, so no edit is lost"))


def check_changeable(noun: str, current: str, changes: Collection[str], allowed: Collection[str]) -> None:
    """StateConflict unless the record's status lets every changed field change."""
    refused = sorted(set(changes) - set(allowed))
    if refused:
        message = Text(
            "the {noun} is {current}; {fields} can no longer change",
            noun=Text(NOUNS[noun]),
            current=Labels(noun, current),
            fields=", ".join(refused),
        )
        raise StateConflict(message, current)
