"""budget changes: every setting of a city's budget, as it was answered

The history of each budget (who set which amount when), and what a retry with the same
Idempotency-Key answers. Budgets set before start their history with their next change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_changes")),
    )
    with op.batch_alter_table("budget_changes", schema=None) as batch_op:
        batch_op.create_index("ix_budget_changes_city_year", ["city_id", "year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_budget_changes_city_year")
    op.drop_table("budget_changes")
