"""catalog revisions: every write takes the next one, and each record keeps the revision of its last change

The change feed (WatchCatalog) reads what changed since a reader's revision from the records themselves:
nothing is ever deleted from the catalog, so the tables are their own log.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = ("items", "cities", "vendors", "cost_keys")


def upgrade() -> None:
    table = op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalog_revision_one_row")),
        sa.CheckConstraint("revision >= 0", name=op.f("ck_catalog_revision_not_negative")),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])
    for name in RECORD_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"))
            batch.create_index(op.f(f"ix_{name}_revision"), ["revision"])


def downgrade() -> None:
    for name in RECORD_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_index(op.f(f"ix_{name}_revision"))
            batch.drop_column("revision")
    op.drop_table("catalog_revision")
