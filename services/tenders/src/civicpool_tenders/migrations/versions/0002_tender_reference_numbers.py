"""reference numbers of tenders (ETT-2026-007), with their counters

A tender is numbered per lead city and year: the lead city id's first three letters in capitals, the
Europe/Berlin year of creation (civicpool_common.numbering). Existing tenders are numbered here in the order
they were made (created_at, then id), and each counter is set to the last number given.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 13:00:00
"""

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
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


def upgrade() -> None:
    counters = op.create_table(
        "reference_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "prefix", "year", name=op.f("pk_reference_counters")),
    )
    op.add_column("tenders", sa.Column("reference", sa.String(length=24), nullable=True))
    bind = op.get_bind()
    last: dict[tuple[str, int], int] = {}
    for tender_id, city_id, created_at in bind.execute(
        sa.text("SELECT id, lead_city_id, created_at FROM tenders ORDER BY created_at, id")
    ):
        key = (_prefix(city_id), _year(created_at))
        last[key] = last.get(key, 0) + 1
        reference = f"{key[0]}-{key[1]}-{last[key]:03d}"
        bind.execute(sa.text("UPDATE tenders SET reference = :r WHERE id = :i"), {"r": reference, "i": tender_id})
    if last:
        op.bulk_insert(counters, [{"kind": "tender", "prefix": p, "year": y, "last": n} for (p, y), n in last.items()])
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=24), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_tenders_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_tenders_reference"), type_="unique")
        batch_op.drop_column("reference")
    op.drop_table("reference_counters")
