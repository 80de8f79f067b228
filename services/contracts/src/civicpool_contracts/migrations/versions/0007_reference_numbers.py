"""reference numbers: contracts (ETT-2026-003) and call-offs (BRU-2026-012), with their counters

A contract is numbered per lead city and year, a call-off (a posting of kind call_off or take) per calling
city and year; the year is the Europe/Berlin year of creation, the prefix the city id's first three
letters in capitals (civicpool_common.numbering). Existing records are numbered here in the order they
were made (created_at, then id), and each counter is set to the last number given. Call-off numbers are
kept in a table of their own: the ledger is append-only and does not change for them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:30:00
"""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BERLIN = ZoneInfo("Europe/Berlin")


def _prefix(city_id: str) -> str:  # as civicpool_common.numbering.city_prefix was when this was written
    return (re.sub(r"[^a-z]", "", city_id.lower()).upper() + "XXX")[:3]


def _year(moment: dt.datetime | str) -> int:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BERLIN).year


def _number(rows: Sequence[Any], kind: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(record id, city, created_at) in creation order -> references by id, and the counters' rows."""
    last: dict[tuple[str, int], int] = {}
    references = {}
    for record_id, city_id, created_at in rows:
        key = (_prefix(city_id), _year(created_at))
        last[key] = last.get(key, 0) + 1
        references[record_id] = f"{key[0]}-{key[1]}-{last[key]:03d}"
    counters = [{"kind": kind, "prefix": p, "year": y, "last": n} for (p, y), n in sorted(last.items())]
    return references, counters


def upgrade() -> None:
    counters = op.create_table(
        "reference_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "prefix", "year", name=op.f("pk_reference_counters")),
    )
    call_offs = op.create_table(
        "call_offs",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transactions.id"], name=op.f("fk_call_offs_transaction_id_ledger_transactions")
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_call_offs")),
        sa.UniqueConstraint("reference", name=op.f("uq_call_offs_reference")),
    )
    op.add_column("contracts", sa.Column("reference", sa.String(length=24), nullable=True))
    bind = op.get_bind()

    contracts = bind.execute(sa.text("SELECT id, lead_city_id, created_at FROM contracts ORDER BY created_at, id"))
    by_contract, contract_counters = _number(list(contracts), "contract")
    for contract_id, reference in by_contract.items():
        bind.execute(sa.text("UPDATE contracts SET reference = :r WHERE id = :i"), {"r": reference, "i": contract_id})

    postings = bind.execute(
        sa.text(
            "SELECT t.id, m.city_id, t.created_at FROM ledger_transactions t JOIN movements m "
            "ON m.transaction_id = t.id WHERE t.kind IN ('call_off', 'take') ORDER BY t.created_at, t.id"
        )
    )
    rows = list(postings)
    by_posting, call_off_counters = _number(rows, "call_off")
    cities = {record_id: city_id for record_id, city_id, _ in rows}
    if by_posting:
        op.bulk_insert(
            call_offs,
            [{"transaction_id": t, "reference": r, "city_id": cities[t]} for t, r in by_posting.items()],
        )
    if contract_counters or call_off_counters:
        op.bulk_insert(counters, contract_counters + call_off_counters)

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=24), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_contracts_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_contracts_reference"), type_="unique")
        batch_op.drop_column("reference")
    op.drop_table("call_offs")
    op.drop_table("reference_counters")
