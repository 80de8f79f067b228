"""Rules of contracts as pure functions (no I/O)."""

from __future__ import annotations

import datetime as dt

from civicpool_common.vocabulary import ContractStatus

MAX_TEXT = 2000  # characters of a reason or memo


def effective_contract_status(status: str, ends_on: dt.date, today: dt.date) -> ContractStatus:
    """An active contract past its last day is expired (nothing is stored for that)."""
    if status == ContractStatus.ACTIVE and today > ends_on:
        return ContractStatus.EXPIRED
    return ContractStatus(status)
