"""At most once per caller and Idempotency-Key: a retry answers what the first request did.

The key is written first, in the transaction that does the work: a retry fails on it at once (or,
sent at the same moment, waits for the first request and then fails) and is answered with the
first request's operation id, whatever changed since. The same key with another request is refused.
A request that fails leaves no key behind (its transaction is rolled back), so it can be sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from civicpool_common.auth import Principal
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import InvalidArgument
from civicpool_common.ids import time_ordered_id
from civicpool_common.messages import Text
from sqlalchemy import delete, insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts.models import IdempotencyRecord, table

log = logging.getLogger("civicpool.contracts")
RETRIES = 5  # serialization failures and deadlocks on PostgreSQL are tried again, after a short random pause
BACKOFF_SECONDS = 0.02  # times the attempt, at random up to that: contenders do not meet again in step
RETRYABLE_SQLSTATES = {"40001", "40P01"}
Done = TypeVar("Done")


def digest(operation: str, request: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps([operation, request], sort_keys=True).encode()).hexdigest()


async def once(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    key: str,
    operation: str,
    request: dict[str, object],
    perform: Callable[[AsyncSession, str], Awaitable[Done]],
) -> tuple[str, Done | None, bool]:
    """Run `perform(session, operation_id)` in one write transaction, at most once per caller and key.

    Returns the operation id, what `perform` returned (None for a replay), and whether this was a replay.
    Without a key the work is simply done.
    """
    request_digest = digest(operation, request)
    for attempt in range(1, RETRIES + 1):
        operation_id = time_ordered_id()
        try:
            async with write_transaction(sessions) as session:
                if key:
                    await (await session.connection()).execute(insert(table(IdempotencyRecord)).values(
                        caller=principal.user_id, key=key, operation=operation, request_sha256=request_digest,
                        operation_id=operation_id, created_at=utc_now(),
                    ))  # fmt: skip
                done = await perform(session, operation_id)
            return operation_id, done, False
        except IntegrityError as error:
            first = await earlier_of(sessions, principal, key, request_digest)
            if first is not None and integrity_violation(error) == "unique":
                return first, None, True  # the same key: answer as the first request did
            raise
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == RETRIES:
                raise
            log.info("%s: serialization failure or deadlock, attempt %d; trying again", operation, attempt)
            await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))  # noqa: S311 (not a secret)
    raise AssertionError("unreachable")


async def earlier(session: AsyncSession, principal: Principal, key: str, request_digest: str) -> str | None:
    """The operation id of the caller's earlier request with this key; None if there was none."""
    record = await session.get(IdempotencyRecord, (principal.user_id, key))
    if record is None:
        return None
    if record.request_sha256 != request_digest:
        raise InvalidArgument.for_field(
            "Idempotency-Key", Text("this key was used for another request; use a new key for a new request")
        )
    return record.operation_id


async def earlier_of(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, key: str, request_digest: str
) -> str | None:
    """`earlier`, read in a session of its own (after a failed transaction); None without a key."""
    if not key:
        return None
    async with sessions() as session:
        return await earlier(session, principal, key, request_digest)


async def forget_old_keys(sessions: async_sessionmaker[AsyncSession], keep: dt.timedelta) -> int:
    """Idempotency keys older than `keep` (at least a day) are forgotten."""
    async with write_transaction(sessions) as session:
        result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utc_now() - keep))
    return int(result.rowcount)  # type: ignore[attr-defined]
