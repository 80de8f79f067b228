"""awards made elsewhere: where a recorded procedure ran (platform, notice number and date)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("external_platform", sa.String(length=200), server_default="", nullable=False))
        batch.add_column(sa.Column("external_notice_number", sa.String(length=100), server_default="", nullable=False))
        batch.add_column(sa.Column("external_notice_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.drop_column("external_notice_date")
        batch.drop_column("external_notice_number")
        batch.drop_column("external_platform")
