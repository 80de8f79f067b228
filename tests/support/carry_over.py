"""The carry-over fixture (tests/fixtures/carry_over/): databases filled by an older commit, and what its API read.

A later commit proves that it keeps an installation's data: it loads `rows.json` into fresh
databases with the old migrations (`load`, `load_into_data_dir`), runs its own migration step,
starts the system on them and compares what the API answers with `reads.json` (`compare_reads`).

rows.json: per service database its Alembic revision, and per table its columns (name -> kind) and
rows (column -> value), values encoded by the column's SQL type:

    integer   JSON number             string   JSON string          boolean  true / false
    datetime  ISO 8601 with offset    date     "YYYY-MM-DD"          time     "HH:MM:SS[.ffffff]"
    json      the JSON value itself   bytes    base64 string         decimal  string, float  number
    SQL NULL  null (every JSON column of these schemas is NOT NULL; a null there means SQL NULL)

Datetimes are UTC (civicpool stores timezone-aware UTC only; SQLite keeps no offset, so a value
read without one is UTC and written as +00:00).

reads.json: a list of API reads, each the user, the path, the query parameters and what came back
(status and JSON body); a list read through all its pages keeps every page. `time_dependent` names
the fields whose values depend on the day they are read (see the README); the comparison ignores them.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from civicpool_common.database import migrate, sync_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeEngine

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "carry_over"
ROWS_FILE = FIXTURE_DIR / "rows.json"
READS_FILE = FIXTURE_DIR / "reads.json"
ALEMBIC_TABLE = "alembic_version"
TIME_DEPENDENT_MARK = "<time-dependent>"
CURSOR_MARK = "<cursor>"
WORDING_MARK = "<wording>"

# Fields whose value depends on the day they are read, not only on the data: (API path pattern, field
# path pattern; "*" matches one path segment, a list index or a key). reads.json carries a copy.
TIME_DEPENDENT: tuple[dict[str, str], ...] = (
    {"path": "/tenders/*/ocds", "field": "publishedDate", "why": "the time of the export"},
    {"path": "/tenders/*/ocds", "field": "releases/*/contracts/*/status",
     "why": "a contract past its ends_on reads as terminated"},
    {"path": "/tenders/*/ocds", "field": "releases/*/id", "why": "a digest of the release, contract statuses included"},
    {"path": "/contracts", "field": "data/*/status", "why": "an active contract past its ends_on reads as expired"},
    {"path": "/contracts/*", "field": "status", "why": "an active contract past its ends_on reads as expired"},
    {"path": "/reports/renewals", "field": "contracts/*/days_left", "why": "days from today to renewal_notice_on"},
    {"path": "/reports/renewals", "field": "contracts/*/contract/status",
     "why": "an active contract past its ends_on reads as expired"},
)  # fmt: skip
# Fields the API gained after the fixture was built: an answer may carry them where the recorded one has
# none, when the value has the form each names (field name -> check). Every other new field is a difference.
_NUMBER = re.compile(r"^[A-Z]{3}-\d{4}-\d{3,}$")
ADDED_SINCE_FIXTURE: dict[str, Callable[[Any], bool]] = {
    # Reference numbers (issue 18): tenders, contracts, call-offs; null where a posting is no call-off.
    "reference": lambda value: value is None or bool(_NUMBER.match(value)),
    "contract_reference": lambda value: value is None or bool(_NUMBER.match(value)),
    # A posting's booking text, made from the posting's facts when it is read.
    "text": lambda value: isinstance(value, str) and bool(value.strip()),
    # Until when vendors ask (issue 19): on every tender with a deadline, and in the OCDS tender section.
    "questions_due_at": lambda value: value is None or _is_time(value),
    "enquiryPeriod": lambda value: isinstance(value, dict) and _is_time(value.get("endDate")),
    # The standstill (issue 19): the migration switches it on for tenders at or above the EU threshold not yet
    # awarded; nothing recorded before waits out one.
    "standstill": lambda value: isinstance(value, bool),
    "standstill_ends_on": lambda value: value is None,
    "contracts_activated_at": lambda value: value is None,
    # Frameworks with several vendors (issue 19): nothing recorded before has one.
    "framework": lambda value: value is None,
    # How a city invoices others (issue 20): no city recorded before had it given.
    "invoicing": lambda value: value is None,
    "framework_bid_ids": lambda value: value == [],
    # Awards made elsewhere (issue 19): nothing recorded before ran elsewhere.
    "external": lambda value: value is None,
    # Where cities receive e-invoices (issue 20): no city had a billing unit before.
    "billing_units": lambda value: value == [],
}


def _is_time(value: object) -> bool:
    try:
        return isinstance(value, str) and dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


# And which contracts /reports/renewals lists: those that have not ended by today (compare_reads drops
# the recorded ones that have).


# -- values by column type ------------------------------------------------------------------------


def column_kind(type_: TypeEngine[Any]) -> str:
    """The encoding of a column's values in rows.json, from its (reflected) SQL type."""
    kinds: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
        (sa.JSON, "json"),
        (sa.Boolean, "boolean"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Time, "time"),
        (sa.LargeBinary, "bytes"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.String, "string"),
        (sa.Uuid, "string"),
    )
    for class_, kind in kinds:
        if isinstance(type_, class_):
            return kind
    raise TypeError(f"no rows.json encoding for column type {type_!r}")


def encode_value(kind: str, value: Any) -> Any:
    """A column value as JSON (see the module's docstring)."""
    if value is None:
        return None
    if kind == "datetime":
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat()
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "boolean":
        return bool(value)
    if kind == "string":
        return str(value)
    return value  # integer, float, json


def decode_value(kind: str, value: Any, *, timezone: bool = True) -> Any:
    """A rows.json value as the column's Python value; `timezone=False`: datetimes naive UTC (e.g. SQLite)."""
    if value is None:
        return None
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
        return moment if timezone else moment.replace(tzinfo=None)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError(f"a boolean column holds {value!r}")
        return value
    return value  # integer, float, string, json


# -- databases ------------------------------------------------------------------------------------


def script_location(service: str) -> str:
    """Where a service's Alembic migrations live (the same form `python -m civicpool_<svc> migrate` uses)."""
    return f"civicpool_{service}:migrations"


def _engine(url: str) -> Engine:
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")  # as the services run it: a wrong order fails here
            cursor.close()

    return engine


def _reflect(connection: Connection) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    if ALEMBIC_TABLE in metadata.tables:
        metadata.remove(metadata.tables[ALEMBIC_TABLE])
    return metadata


def dump_database(url: str, service: str) -> dict[str, Any]:
    """Every row of every table (but alembic_version) of one service database, encoded for rows.json."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            versions = sa.Table(ALEMBIC_TABLE, sa.MetaData(), autoload_with=connection)
            revision = connection.execute(sa.select(versions.c.version_num)).scalar_one()
            metadata = _reflect(connection)
            tables: dict[str, Any] = {}
            for table in sorted(metadata.tables.values(), key=lambda t: t.name):
                kinds = {column.name: column_kind(column.type) for column in table.columns}
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(sa.select(table).order_by(*order)).mappings().all()
                tables[table.name] = {
                    "columns": kinds,
                    "rows": [{name: encode_value(kinds[name], row[name]) for name in kinds} for row in rows],
                }
    finally:
        engine.dispose()
    return {"script_location": script_location(service), "revision": revision, "tables": tables}


def _self_references(table: sa.Table) -> list[tuple[str, str]]:
    """(child column, parent column) pairs of foreign keys from `table` to itself."""
    return [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table]


def _parents_first(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself, each after the row it refers to (e.g. a reversal after the original)."""
    links = _self_references(table)
    if not links:
        return rows
    ordered: list[dict[str, Any]] = []
    placed: set[tuple[str, Any]] = set()
    waiting = list(rows)
    while waiting:
        ready = [r for r in waiting if all(r[c] is None or (p, r[c]) in placed for c, p in links)]
        if not ready:
            raise ValueError(f"{table.name}: rows refer to each other in a cycle, or to rows that are not there")
        for row in ready:
            ordered.append(row)
            placed.update((p, row[p]) for _, p in links)
        done = {id(row) for row in ready}
        waiting = [r for r in waiting if id(r) not in done]
    return ordered


def _reset_sequences(connection: Connection, metadata: sa.MetaData) -> None:
    """PostgreSQL: serial/identity columns continue after the inserted ids (SQLite does so by itself)."""
    for table in metadata.tables.values():
        for column in table.primary_key.columns:
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
            ).scalar()
            if sequence is None:
                continue
            highest = sa.func.max(column)
            connection.execute(
                sa.select(sa.func.setval(sequence, sa.func.coalesce(highest, 1), highest.is_not(None))).select_from(
                    table
                )
            )


def load_database(url: str, database: Mapping[str, Any]) -> None:
    """Bring one empty database to the recorded revision with its service's own migrations, then insert the rows.

    Reflected tables, values decoded by the target column's type, parents before children; one transaction.
    """
    migrate(url, database["script_location"], database["revision"])
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            metadata = _reflect(connection)
            recorded: Mapping[str, Any] = database["tables"]
            missing = sorted(set(recorded) - set(metadata.tables))
            if missing:
                raise ValueError(f"{url}: tables {missing} are not there at revision {database['revision']}")
            for table in metadata.sorted_tables:
                if table.name not in recorded or not recorded[table.name]["rows"]:
                    continue
                kinds: Mapping[str, str] = recorded[table.name]["columns"]
                for name, kind in kinds.items():
                    if name not in table.columns:
                        raise ValueError(f"{table.name}.{name} is not there at revision {database['revision']}")
                    if column_kind(table.columns[name].type) != kind:
                        raise ValueError(f"{table.name}.{name}: recorded as {kind}, "
                                         f"the database has {table.columns[name].type!r}")  # fmt: skip
                    if kind == "json":
                        table.columns[name].type.none_as_null = True  # type: ignore[attr-defined]
                rows = [
                    {
                        name: decode_value(kind, row[name], timezone=bool(getattr(table.columns[name].type,
                                                                                  "timezone", False)))
                        for name, kind in kinds.items()
                    }
                    for row in recorded[table.name]["rows"]
                ]  # fmt: skip
                connection.execute(table.insert(), _parents_first(table, rows))
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection, metadata)
    finally:
        engine.dispose()


def fixture_rows(path: Path = ROWS_FILE) -> dict[str, Any]:
    rows: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return rows


def load(urls: Mapping[str, str], rows: Mapping[str, Any] | None = None) -> None:
    """Load every recorded service database into the empty database at urls[service]."""
    rows = rows if rows is not None else fixture_rows()
    for service, database in rows["databases"].items():
        load_database(urls[service], database)


def sqlite_urls(data_dir: Path, services: Iterable[str]) -> dict[str, str]:
    """The services' SQLite files in a data folder, where they keep them by default (<service>.db)."""
    return {service: f"sqlite:///{data_dir.resolve() / f'{service}.db'}" for service in services}


def load_into_data_dir(data_dir: Path, rows: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Load the fixture into SQLite files in `data_dir` (which must not hold them yet); their URLs by service."""
    rows = rows if rows is not None else fixture_rows()
    data_dir.mkdir(parents=True, exist_ok=True)
    urls = sqlite_urls(data_dir, rows["databases"])
    existing = [url for url in urls.values() if Path(url.removeprefix("sqlite:///")).exists()]
    if existing:
        raise FileExistsError(f"not empty: {existing}")
    load(urls, rows)
    return urls


# -- API reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """One GET as one user; `paged`: follow next_cursor through all pages."""

    user: str
    path: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    paged: bool = False


def _get(http: httpx.Client, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
    response = http.get(path, params=dict(params))
    try:
        body = response.json()
    except ValueError:
        body = {"not_json": response.text}
    return {"status": response.status_code, "body": body}


MAX_PAGES = 200


def perform(http_for: Callable[[str], httpx.Client], read: Read) -> dict[str, Any]:
    """What the API answers to `read`: {user, path, params, status, body}, or with `pages` for a paged read."""
    entry: dict[str, Any] = {"user": read.user, "path": read.path, "params": dict(read.params)}
    http = http_for(read.user)
    if not read.paged:
        return entry | _get(http, read.path, read.params)
    pages: list[dict[str, Any]] = []
    params = dict(read.params)
    while len(pages) < MAX_PAGES:
        page = _get(http, read.path, params)
        pages.append(page)
        cursor = page["body"].get("next_cursor") if page["status"] == 200 else None
        if not cursor:
            break
        params = {**read.params, "cursor": cursor}
    return entry | {"pages": pages}


class Clients:
    """HTTP clients of a gateway, one per demo user, signed in with `token_for(user)`."""

    def __init__(self, gateway_url: str, token_for: Callable[[str], str]) -> None:
        self._gateway_url = gateway_url
        self._token_for = token_for
        self._clients: dict[str, httpx.Client] = {}

    def __call__(self, user: str) -> httpx.Client:
        if user not in self._clients:
            headers = {"Authorization": f"Bearer {self._token_for(user)}"}
            self._clients[user] = httpx.Client(base_url=f"{self._gateway_url}/api/v1", headers=headers, timeout=30)
        return self._clients[user]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def take_reads(gateway_url: str, token_for: Callable[[str], str], plan: Sequence[Read]) -> list[dict[str, Any]]:
    with Clients(gateway_url, token_for) as clients:
        return [perform(clients, read) for read in plan]


def fixture_reads(path: Path = READS_FILE) -> dict[str, Any]:
    reads: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return reads


def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile("^" + "/".join(re.escape(part).replace(r"\*", "[^/]+") for part in glob.split("/")) + "$")


def _mark(value: Any, field_glob: str) -> Any:
    """`value` with the fields at `field_glob` ("a/*/b") replaced by TIME_DEPENDENT_MARK."""
    head, _, rest = field_glob.partition("/")
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        for key in keys:
            value[key] = _mark(value[key], rest) if rest else TIME_DEPENDENT_MARK
    elif isinstance(value, list) and (head == "*" or head.isdigit()):
        indexes = range(len(value)) if head == "*" else [int(head)] if int(head) < len(value) else []
        for index in indexes:
            value[index] = _mark(value[index], rest) if rest else TIME_DEPENDENT_MARK
    return value


def normalise(entry: Mapping[str, Any], time_dependent: Sequence[Mapping[str, str]], today: dt.date) -> Any:
    """A read with what legitimately differs between two days' reads of the same data taken out.

    Time-dependent fields become TIME_DEPENDENT_MARK; next_cursor values (opaque) CURSOR_MARK; renewals
    of contracts that have ended by `today` are dropped (the report lists contracts not yet ended).
    """
    copied = json.loads(json.dumps(entry))
    pages = copied.get("pages", [copied])
    for page in pages:
        body = page.get("body")
        if isinstance(body, dict) and body.get("next_cursor"):
            body["next_cursor"] = CURSOR_MARK
        if copied["path"] == "/reports/renewals" and page.get("status") == 200 and isinstance(body, dict):
            body["contracts"] = [
                c for c in body.get("contracts", []) if dt.date.fromisoformat(c["contract"]["ends_on"]) >= today
            ]
        for rule in time_dependent:
            if _pattern(rule["path"]).match(copied["path"]):
                page["body"] = _mark(body, rule["field"])
        if isinstance(body, dict) and page.get("status", 200) >= 400 and "type" in body:
            # A refusal's words are for people and may be better put by a later version (issue 18 wrote
            # them in the reader's language, times on Berlin's clock); what it is (type, status, title,
            # the fields named) must read the same.
            body["detail"] = WORDING_MARK
            for error in body.get("errors", []):
                error["message"] = WORDING_MARK
    return copied


def _differences(expected: Any, actual: Any, where: str, found: list[str], limit: int = 20) -> None:
    if len(found) >= limit:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                found.append(f"{where}/{key}: missing (expected {json.dumps(expected[key])[:200]})")
            elif key not in expected:
                if key in ADDED_SINCE_FIXTURE and ADDED_SINCE_FIXTURE[key](actual[key]):
                    continue  # a field added since, in its form
                found.append(f"{where}/{key}: unexpected {json.dumps(actual[key])[:200]}")
            else:
                _differences(expected[key], actual[key], f"{where}/{key}", found, limit)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found.append(f"{where}: {len(actual)} elements, expected {len(expected)}")
        for index, (one, other) in enumerate(zip(expected, actual, strict=False)):
            _differences(one, other, f"{where}/{index}", found, limit)
    elif expected != actual or type(expected) is not type(actual):
        found.append(f"{where}: {json.dumps(actual)[:200]}, expected {json.dumps(expected)[:200]}")


def compare_reads(
    gateway_url: str,
    token_for: Callable[[str], str],
    recorded: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Send every recorded read again (same user, path, parameters) and say where the answers differ.

    Empty when everything reads back equal, time-dependent fields and cursors aside (see `normalise`).
    """
    recorded = recorded if recorded is not None else fixture_reads()
    today = today or dt.datetime.now(dt.UTC).date()
    time_dependent = recorded["time_dependent"]
    differences: list[str] = []
    with Clients(gateway_url, token_for) as clients:
        for entry in recorded["reads"]:
            read = Read(entry["user"], entry["path"], entry["params"], paged="pages" in entry)
            actual = perform(clients, read)
            where = f"{read.user} GET {read.path}{'?' + str(httpx.QueryParams(read.params)) if read.params else ''}"
            found: list[str] = []
            _differences(normalise(entry, time_dependent, today), normalise(actual, time_dependent, today), "",
                         found)  # fmt: skip
            differences.extend(f"{where}: {difference}" for difference in found)
    return differences
