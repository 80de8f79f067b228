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
from civicpool_common.vocabulary import ProtoEnum, from_proto, to_proto
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp


@dataclass(frozen=True)
class MessageShape:
    enums: Mapping[str, tuple[ProtoEnum, type[StrEnum]]] = field(default_factory=dict)
    nullable: frozenset[str] = frozenset()

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
        for descriptor in message.DESCRIPTOR.fields:
            name = descriptor.name
            value = getattr(message, name)
            if name in self.enums:
                proto_enum, words = self.enums[name]
                result[name] = from_proto(value, proto_enum, words)
            elif isinstance(value, Timestamp):
                result[name] = from_timestamp(value) if message.HasField(name) else None
            elif descriptor.is_repeated and descriptor.message_type is not None:
                result[name] = [MessageShape().from_proto(item) for item in value]
            else:
                result[name] = value
            if name in self.nullable and not value:
                result[name] = None
        return result


# Messages without enums or nullable fields (nested repeated messages convert too).
PLAIN = MessageShape()
