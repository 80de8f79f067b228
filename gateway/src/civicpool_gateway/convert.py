"""Between REST JSON and proto messages, by field name.

REST field names equal proto field names. Enums travel as words on REST and
as numbers in protos; zero values of `nullable` fields are REST nulls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from civicpool_common.timestamps import from_timestamp, to_timestamp
from civicpool_common.vocabulary import ProtoEnum, to_proto, words_of
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

# How one field converts from a proto: (name, kind, enum number -> word, nullable).
_FieldPlan = tuple[str, int, Mapping[int, StrEnum], bool]
_PLAIN, _ENUM, _TIMESTAMP, _REPEATED_MESSAGE = range(4)
_TIMESTAMP_TYPE = Timestamp.DESCRIPTOR.full_name


@dataclass(frozen=True)
class MessageShape:
    enums: Mapping[str, tuple[ProtoEnum, type[StrEnum]]] = field(default_factory=dict)
    nullable: frozenset[str] = frozenset()
    # Per message type (by full name): how its fields convert, filled on first use.
    _plans: dict[str, list[_FieldPlan]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def to_proto_fields(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the message constructor from REST values."""
        fields: dict[str, Any] = {}
        for name, value in data.items():
            if name in self.enums:
                proto_enum, words = self.enums[name]
                fields[name] = to_proto(value, proto_enum, words)
            elif value is None:
                continue  # the proto's zero value: "none"
            elif isinstance(value, dt.datetime):
                fields[name] = to_timestamp(value)
            elif isinstance(value, dt.date):
                fields[name] = value.isoformat()
            else:
                fields[name] = value
        return fields

    def from_proto(self, message: Message) -> dict[str, Any]:
        result: dict[str, Any] = {}
        plan = self._plans.get(message.DESCRIPTOR.full_name) or self._plan(message)
        for name, kind, words, nullable in plan:
            value = getattr(message, name)
            if kind == _PLAIN:
                result[name] = value
            elif kind == _ENUM:
                result[name] = words.get(value)
            elif kind == _TIMESTAMP:
                result[name] = from_timestamp(value) if message.HasField(name) else None
            else:  # _REPEATED_MESSAGE
                result[name] = [PLAIN.from_proto(item) for item in value]
            if nullable and not value:
                result[name] = None
        return result

    def _plan(self, message: Message) -> list[_FieldPlan]:
        """How each field of a message type converts, worked out once per type (lists convert many)."""
        plan: list[_FieldPlan] = []
        for field_descriptor in message.DESCRIPTOR.fields:
            name, message_type = field_descriptor.name, field_descriptor.message_type
            words: Mapping[int, StrEnum] = {}
            if name in self.enums:
                kind, words = _ENUM, words_of(*self.enums[name])
            elif field_descriptor.is_repeated and message_type is not None:
                kind = _REPEATED_MESSAGE
            elif message_type is not None and message_type.full_name == _TIMESTAMP_TYPE:
                kind = _TIMESTAMP
            else:
                kind = _PLAIN
            plan.append((name, kind, words, name in self.nullable))
        self._plans[message.DESCRIPTOR.full_name] = plan
        return plan


# Messages without enums or nullable fields (nested repeated messages convert too).
PLAIN = MessageShape()
