"""quota shifts that add a party: a city that had no quota joins the contract, on purpose and recorded

A lead may shift unused quota to a member city that is not yet a party to the contract only when
it says so (and why): such shifts are marked. Earlier shifts are marked as they were made (false).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quota_shifts", sa.Column("adds_party", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of the table would lose its append-only triggers.
    op.execute("ALTER TABLE quota_shifts DROP COLUMN adds_party")
