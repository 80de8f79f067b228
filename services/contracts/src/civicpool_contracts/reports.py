"""Finance reports over the ledger and the holdings: SQL reads only what a report needs, pandas shapes it.

Amounts in reports are what a city owes: a charge is positive, a credit
negative (the ledger keeps the city's account from the other side: negative
balance = owed). Periods are whole days of the network (Europe/Berlin), both ends included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from civicpool_common import references
from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now
from civicpool_common.errors import InvalidArgument, NotFound, VersionConflict
from civicpool_common.messages import N_, Text
from civicpool_common.references import Resolver
from civicpool_common.timestamps import network_today, start_of_network_day
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency, repository, rules
from civicpool_contracts.access import city_in_reach
from civicpool_contracts.booking import Booking, bookings
from civicpool_contracts.models import Budget, BudgetChange, Contract

LONGEST_PERIOD_DAYS = 3 * 366 + 1
STATEMENT_TOO_LONG = N_("a statement covers at most three years")
REPORT_TOO_LONG = N_("a report covers at most three years")


def network_period(start: dt.date, end: dt.date, too_long: str) -> tuple[dt.datetime, dt.datetime]:
    """A report's period, whole days of the network (Europe/Berlin) with both ends included, as the UTC bounds
    [since, until); `too_long` says why a period over three years is refused."""
    if end < start:
        raise InvalidArgument.for_field("to", Text("must not lie before from"))
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise InvalidArgument.for_field("to", Text(too_long))
    return start_of_network_day(start), start_of_network_day(end + dt.timedelta(days=1))


@dataclass(frozen=True)
class StatementLine:
    posted_at: dt.datetime
    transaction_id: str
    kind: str
    contract_id: str
    sku: str
    memo: str
    amount_cents: int  # positive: a charge; negative: a credit
    balance_cents: int  # owed after this line
    booking: Booking | None = None  # what the posting was, for its text and reference numbers


@dataclass(frozen=True)
class ContractTotal:
    contract_id: str
    sku: str
    name: str
    amount_cents: int
    contract_reference: str = ""


@dataclass(frozen=True)
class Statement:
    city_id: str
    start: dt.date
    end: dt.date
    opening_cents: int  # owed at the start
    lines: list[StatementLine]
    by_contract: list[ContractTotal]

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + sum(line.amount_cents for line in self.lines)


@dataclass(frozen=True)
class UseRow:
    contract_id: str
    sku: str
    name: str
    kind: str
    vendor_id: str
    unit_price_cents: int
    city_id: str
    quota: int
    called_off: int
    returned: int
    taken: int
    holding: int
    quota_left: int
    cost_cents: int  # what the city owes for this contract now


@dataclass(frozen=True)
class BudgetRow:
    city_id: str
    year: int
    budget_cents: int | None  # None: no budget set
    actual_cents: int  # charges minus credits in the year

    @property
    def remaining_cents(self) -> int | None:
        return None if self.budget_cents is None else self.budget_cents - self.actual_cents


@dataclass(frozen=True)
class RenewalDue:
    contract: Contract
    days_left: int  # until the renewal notice date (negative: past it)


class ReportService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Resolver) -> None:
        self._sessions = sessions
        self._catalog = catalog  # a budget is set for an active member city only

    async def statement(self, principal: Principal, city_id: str, start: dt.date, end: dt.date) -> Statement:
        city_id = city_in_reach(principal, city_id)
        if not city_id:
            raise InvalidArgument.for_field("city", Text("name the city whose statement you want"))
        since, until = network_period(start, end, STATEMENT_TOO_LONG)
        account = rules.city_account(city_id)
        async with self._sessions() as session:
            opening = await repository.balance_before(session, account, since)
            rows = await repository.statement_rows(session, account, since, until)
            facts = await bookings(session, sorted({row[1] for row in rows}), city_id)
        columns = ["posted_at", "transaction_id", "kind", "contract_id", "sku", "name", "memo", "ledger_cents"]
        frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        opening_owed = -int(opening or 0)
        frame["amount_cents"] = -frame["ledger_cents"].astype("int64")
        frame["balance_cents"] = opening_owed + frame["amount_cents"].cumsum()
        totals = (
            frame.groupby(["contract_id", "sku", "name"], sort=True)["amount_cents"].sum().reset_index()
            if len(frame)
            else frame.iloc[0:0]
        )
        lines = [
            StatementLine(r["posted_at"], r["transaction_id"], r["kind"], r["contract_id"], r["sku"], r["memo"],
                          int(r["amount_cents"]), int(r["balance_cents"]), facts.get(r["transaction_id"]))
            for r in _records(frame)
        ]  # fmt: skip
        numbers = {line.contract_id: line.booking.contract_reference for line in lines if line.booking}
        by_contract = [
            ContractTotal(
                r["contract_id"], r["sku"], r["name"], int(r["amount_cents"]), numbers.get(r["contract_id"], "")
            )
            for r in _records(totals)
        ]
        return Statement(city_id, start, end, opening_owed, lines, by_contract)

    async def utilisation(self, principal: Principal, contract_id: str, city_id: str) -> list[UseRow]:
        """Per contract and city: quota, what was called off, returned, taken, held, and what it costs."""
        city_id = city_in_reach(principal, city_id)
        account = rules.city_account(city_id) if city_id else None
        async with self._sessions() as session:
            quotas = await repository.quota_rows(session, contract_id, city_id)
            costs = await repository.city_costs(session, contract_id, account)
        use = pd.DataFrame(
            [tuple(r) for r in quotas],
            columns=["contract_id", "sku", "name", "kind", "vendor_id", "unit_price_cents", "city_id", "quota",
                     "called_off", "returned", "taken"],
        )  # fmt: skip
        cost = pd.DataFrame([tuple(r) for r in costs], columns=["contract_id", "city_id", "ledger_cents"])
        merged = use.merge(cost, on=["contract_id", "city_id"], how="left")
        merged["cost_cents"] = -merged["ledger_cents"].fillna(0).astype("int64")
        merged["holding"] = merged["called_off"] - merged["returned"] + merged["taken"]
        merged["quota_left"] = merged["quota"] - merged["called_off"]
        fields = [name for name in UseRow.__dataclass_fields__ if name not in ("quota",)]
        return [UseRow(quota=int(r["quota"]), **{name: _plain(r[name]) for name in fields}) for r in _records(merged)]

    async def set_budget(
        self, principal: Principal, city_id: str, year: int, amount_cents: int, version: int, *, key: str = ""
    ) -> tuple[BudgetChange, bool]:
        """Finance sets its city's budget for a year (network finance: any city's); 0 version: a new one.

        Returns the change as answered, and whether it was answered from an earlier request (same key).
        """
        principal.require_any_role(Role.FINANCE)
        city_id = city_in_reach(principal, city_id)
        if not city_id:
            raise InvalidArgument.for_field("city_id", Text("name the city"))
        _check_year(year)
        if not 0 <= amount_cents <= 10**13:
            raise InvalidArgument.for_field("amount_cents", Text("must be between 0 and 10^13 cents"))
        await references.require_active(self._catalog, references.cities("city_id", [city_id]))

        async def perform(session: AsyncSession, operation_id: str) -> BudgetChange:
            budget = await session.get(Budget, (city_id, year), with_for_update=True)
            if budget is None:
                if version:
                    raise NotFound(
                        Text("{city} has no budget for {year} yet; send no version to set one", city=city_id, year=year)
                    )
                budget = Budget(city_id=city_id, year=year)
                session.add(budget)
            elif version != budget.version:
                raise VersionConflict(
                    Text("the budget of {city} for {year}", city=city_id, year=year), version, budget.version
                )
            budget.amount_cents, budget.set_by, budget.set_at = amount_cents, principal.username, utc_now()
            await session.flush()  # counts the version up
            change = BudgetChange(id=operation_id, city_id=city_id, year=year, amount_cents=amount_cents,
                                  version=budget.version, set_by=budget.set_by, set_at=budget.set_at)  # fmt: skip
            session.add(change)
            return change

        request = {"city_id": city_id, "year": year, "amount_cents": amount_cents, "version": version}
        operation_id, change, replayed = await idempotency.once(
            self._sessions, principal, key, "budget", request, perform
        )
        if change is None:
            async with self._sessions() as session:
                change = await session.get(BudgetChange, operation_id)
        assert change is not None
        return change, replayed

    async def budget_vs_actual(self, principal: Principal, year: int) -> list[BudgetRow]:
        """Per city: the budget and what its account was charged in the year (pandas over both)."""
        _check_year(year)
        city_id = city_in_reach(principal, "")
        since = start_of_network_day(dt.date(year, 1, 1))
        until = start_of_network_day(dt.date(year + 1, 1, 1))
        account = rules.city_account(city_id) if city_id else None
        async with self._sessions() as session:
            planned = pd.DataFrame(await repository.budget_amounts(session, year, city_id),
                                   columns=["city_id", "budget_cents"])  # fmt: skip
            spent = pd.DataFrame(await repository.city_totals(session, since, until, account),
                                 columns=["city_id", "ledger_cents"])  # fmt: skip
        table = planned.merge(spent, on="city_id", how="outer").sort_values("city_id")
        return [
            BudgetRow(str(r["city_id"]), year, None if pd.isna(r["budget_cents"]) else int(r["budget_cents"]),
                      0 if pd.isna(r["ledger_cents"]) else -int(r["ledger_cents"]))
            for r in _records(table)
        ]  # fmt: skip

    async def budgets(self, principal: Principal, year: int | None) -> list[Budget]:
        city_id = city_in_reach(principal, "")
        async with self._sessions() as session:
            return await repository.budgets_of(session, year, city_id)

    async def renewals_due(self, principal: Principal, days: int) -> list[RenewalDue]:
        """Active contracts whose renewal notice date falls within the next `days` days (or has passed)."""
        if not 0 <= days <= 3650:
            raise InvalidArgument.for_field("days", Text("must be between 0 and {max}", max=3650))
        city_id = city_in_reach(principal, "")
        today = network_today()
        async with self._sessions() as session:
            contracts = await repository.renewals_due(session, today, today + dt.timedelta(days=days), city_id)
        return [
            RenewalDue(c, (c.renewal_notice_on - today).days)
            for c in contracts
            if rules.effective_contract_status(c.status, c.ends_on, today) == "active"
        ]


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2999:
        raise InvalidArgument.for_field("year", Text("must lie between 2000 and 2999"))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    """numpy integers as Python ints (protobuf and JSON take those)."""
    return int(value) if hasattr(value, "dtype") and value.dtype.kind in "iu" else value
