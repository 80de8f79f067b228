"""Rules of contracts as pure functions (no I/O)."""

from __future__ import annotations

import datetime as dt

from civicpool_common.vocabulary import ContractStatus

MAX_TEXT = 2000  # characters of a reason or memo
MAX_QUANTITY = 1_000_000  # of one movement or one quota addition


def effective_contract_status(status: str, ends_on: dt.date, today: dt.date) -> ContractStatus:
    """An active contract past its last day is expired (nothing is stored for that)."""
    if status == ContractStatus.ACTIVE and today > ends_on:
        return ContractStatus.EXPIRED
    return ContractStatus(status)


# The ledger's accounts.
CITY_ACCOUNT_PREFIX = "city:"


def city_account(city_id: str) -> str:
    """A city's account: what the city owes is its negative balance."""
    return CITY_ACCOUNT_PREFIX + city_id


def city_of_account(name: str) -> str | None:
    """The city whose account it is; None for a contract's or a pool's account."""
    return name.removeprefix(CITY_ACCOUNT_PREFIX) if name.startswith(CITY_ACCOUNT_PREFIX) else None


def account(kind: str, contract_id: str, city_id: str) -> str:
    """city:<id>, contract:<id> (the vendor's side), pool:<id> (the returned seats' value)."""
    return city_account(city_id) if kind == "city" else f"{kind}:{contract_id}"


def invoiced_account(contract_id: str) -> str:
    """What was invoiced under a contract, net (negative): with contract:<id> it leaves what is not invoiced yet."""
    return f"invoiced:{contract_id}"


def payable_account(invoice_id: str) -> str:
    """An approved invoice's gross, owed to its vendor (an open item until it is paid)."""
    return f"payable:{invoice_id}"
