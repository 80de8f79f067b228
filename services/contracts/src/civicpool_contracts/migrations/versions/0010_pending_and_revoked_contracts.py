"""pending and revoked contracts: an award waits out its standstill (§ 134 GWB), and a revoked one stays on record

The unique lot item per contract holds among the contracts that are not revoked, so a lot awarded again after a
revocation gets contracts of its own.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_REVOKED = sa.text("status <> 'revoked'")


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_constraint(op.f("uq_contracts_lot_id"), type_="unique")
        batch.drop_constraint(op.f("ck_contracts_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('active', 'expired', 'terminated', 'pending', 'revoked')")
    op.create_index(
        "uq_contracts_lot_item_not_revoked", "contracts", ["lot_id", "item_id"], unique=True,
        sqlite_where=NOT_REVOKED, postgresql_where=NOT_REVOKED,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_contracts_lot_item_not_revoked", table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_constraint(op.f("ck_contracts_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('active', 'expired', 'terminated')")
        batch.create_unique_constraint(op.f("uq_contracts_lot_id"), ["lot_id", "item_id"])
