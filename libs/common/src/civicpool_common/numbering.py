"""Reference numbers people read and say: `ETT-2026-007`, besides the id that stays the API's key.

A number is `<PREFIX>-<YEAR>-<NNN>`: the city's three-letter prefix (the lead city for a tender, a contract
or a charge to the members, the calling city for a call-off), the Europe/Berlin year of creation, and a sequence
number (three digits at least, more when a year has more than 999). Each kind of record has its own sequence per
prefix and year (`tender`, `contract`, `call_off`, `charge`), so the numbers of one kind run 001, 002, 003 without
a gap; the kind is always said beside the number ("Vertrag ETT-2026-003", "Abruf BRU-2026-012",
"Umlagerechnung ETT-2026-001"). A tender
and a contract may therefore carry the same digits: they live in two services' databases, and one
sequence across both would need a call from one service into the other inside a transaction.

Each service keeps its counters in its own table `reference_counters` (one row per kind, prefix and
year, made by `counters_table`). `next_reference` is called in the transaction that creates the record:
it creates the row if missing (ON CONFLICT DO NOTHING) and increments it with one UPDATE ... RETURNING,
which holds the row lock until the transaction ends. A concurrent creation of the same kind, prefix and
year waits for it (PostgreSQL: the row lock; SQLite: the database's one writer), and a rolled-back
creation takes its increment with it: no gap, no duplicate.

The prefix comes from the city id (`city_prefix`): its first three letters in capitals (`ettlingen` ->
ETT, `baden-baden` -> BAD, `buehl` -> BUE). Two cities whose ids start alike share a prefix and then one
sequence, so their numbers stay unique; the catalog does not keep a code of its own (yet).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import BigInteger, Column, Connection, Executable, Integer, MetaData, String, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from civicpool_common.vocabulary import NETWORK_TIME_ZONE

COUNTERS = "reference_counters"
KINDS = ("tender", "contract", "call_off", "charge")
PATTERN = re.compile(r"^[A-Z]{3}-\d{4}-\d{3,}$")


def counters_table(metadata: MetaData) -> Table:
    """The counter table of one service's database (its models call this with their metadata)."""
    return Table(
        COUNTERS,
        metadata,
        Column("kind", String(16), primary_key=True),
        Column("prefix", String(8), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("last", BigInteger, nullable=False),  # the last number given
    )


def city_prefix(city_id: str) -> str:
    """The three capital letters of a city's references, from its id (a lower-case slug)."""
    letters = re.sub(r"[^a-z]", "", city_id.lower())
    return (letters.upper() + "XXX")[:3]


def network_year(moment: dt.datetime) -> int:
    """The year of `moment` in Europe/Berlin (a record made at 00:30 on 1 January Berlin time is of the new year)."""
    return moment.astimezone(NETWORK_TIME_ZONE).year


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:03d}"


def normalised(reference: str) -> str:
    """A reference as stored (capitals), from what a person typed (any case, spaces around)."""
    return reference.strip().upper()


def _counting(dialect: str, counters: Table, kind: str, prefix: str, year: int) -> tuple[Executable, Executable]:
    """The two statements that count: make the counter row if missing, then increment it and read it."""
    key = {"kind": kind, "prefix": prefix, "year": year}
    if dialect == "postgresql":
        create: Executable = postgresql.insert(counters).values(**key, last=0).on_conflict_do_nothing()
    elif dialect == "sqlite":
        create = sqlite.insert(counters).values(**key, last=0).on_conflict_do_nothing()
    else:  # pragma: no cover - the two databases the services run on
        raise NotImplementedError(f"reference numbers are counted on PostgreSQL and SQLite, not {dialect}")
    increment = (
        update(counters)
        .where(counters.c.kind == kind, counters.c.prefix == prefix, counters.c.year == year)
        .values(last=counters.c.last + 1)
        .returning(counters.c.last)
    )
    return create, increment


async def next_number(connection: AsyncConnection, counters: Table, kind: str, prefix: str, year: int) -> int:
    """The next number of the sequence (kind, prefix, year), counted in the caller's transaction."""
    create, increment = _counting(connection.dialect.name, counters, kind, prefix, year)
    await connection.execute(create)
    return int((await connection.execute(increment)).scalar_one())


def next_number_blocking(connection: Connection, counters: Table, kind: str, prefix: str, year: int) -> int:
    """next_number on a plain (synchronous) connection: for operator tools that move records between databases."""
    create, increment = _counting(connection.dialect.name, counters, kind, prefix, year)
    connection.execute(create)
    return int(connection.execute(increment).scalar_one())


async def next_reference(
    connection: AsyncConnection, counters: Table, kind: str, city_id: str, moment: dt.datetime
) -> str:
    """The reference of a record of `kind` that `city_id` makes at `moment`, in the caller's transaction."""
    prefix, year = city_prefix(city_id), network_year(moment)
    return format_reference(prefix, year, await next_number(connection, counters, kind, prefix, year))


async def give_back(connection: AsyncConnection, counters: Table, kind: str, reference: str) -> bool:
    """A record that is removed again (a draft whose creation could not be finished) returns its number, in the
    removing transaction, when it is still the last of its sequence: the next record gets it. False when a later
    number was given meanwhile; then the removed number stays unused."""
    prefix, year, number = reference.rsplit("-", 2)[0], *map(int, reference.rsplit("-", 2)[1:])
    result = await connection.execute(
        update(counters)
        .where(counters.c.kind == kind, counters.c.prefix == prefix, counters.c.year == year, counters.c.last == number)
        .values(last=number - 1)
    )
    return bool(result.rowcount)
