"""Record ids."""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_id() -> str:
    """A UUID in the version 7 layout: milliseconds since the epoch, then randomness.

    Sorting by this id sorts by creation time, so a keyset page by id lists
    records in the order they were made.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return str(uuid.UUID(int=value))
