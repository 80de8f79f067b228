"""contracts tables

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:08:31.355722
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lead_city_id", sa.String(length=40), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("estimated_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'bidding_closed', 'evaluated', 'awarded', 'cancelled')",
            name=op.f("ck_tenders_status"),
        ),
        sa.CheckConstraint("estimated_value_cents >= 0", name=op.f("ck_tenders_value_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenders")),
    )
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenders_lead_city_id"), ["lead_city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tenders_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenders_round_id"))
        batch_op.drop_index(batch_op.f("ix_tenders_lead_city_id"))

    op.drop_table("tenders")
