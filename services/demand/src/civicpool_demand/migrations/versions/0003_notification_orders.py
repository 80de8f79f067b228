"""notification orders: the outbox of e-mail events (civicpool_common.notify); a round's member cities

`rounds.member_city_ids`: the member cities a round was opened for (told that it opened, reminded 3 days
before it closes while without lines). Rounds opened before have none: they send no reminders.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_orders",
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_notification_orders")),
    )
    op.create_index(op.f("ix_notification_orders_delivered_at"), "notification_orders", ["delivered_at"], unique=False)
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_city_ids", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("member_city_ids")
    op.drop_index(op.f("ix_notification_orders_delivered_at"), table_name="notification_orders")
    op.drop_table("notification_orders")
