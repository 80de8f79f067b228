"""Closing the ledger's months: each account's balance at a month's end, carried forward.

Accountants close periods so that a statement never has to add up an account's whole history: the balance
at the end of every closed month is kept (models.MonthBalance), and a statement's opening balance is the
last carried balance before its period plus the few entries after it (repository.balance_before).

A network month closes once it ended more than CLOSE_AFTER ago, so every posting made in it has committed
(postings always carry the time they are made: nothing is posted into the past). Months close in order,
once, append-only; a month without entries closes too, carrying the balances over. A correction is a later
posting, as always in the ledger.
"""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import write_transaction
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import repository, rules

CLOSE_AFTER = dt.timedelta(hours=1)


async def close_months(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> list[dt.date]:
    """Close every month that ended before `now` - CLOSE_AFTER and is not closed yet (one transaction each);
    the months closed."""
    closed: list[dt.date] = []
    while True:
        async with write_transaction(sessions) as session:
            month = await repository.next_month_to_close(session)
            if month is None or rules.month_bounds(month)[1] > now - CLOSE_AFTER:
                return closed
            await repository.close_month(session, month, now)
        closed.append(month)
