"""movements found by their posting (issue 21): a statement reads the movements of its postings for their booking
texts; without an index that read scanned every movement ever made, so statements grew with the ledger's history

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_movements_transaction_id"), "movements", ["transaction_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_movements_transaction_id"), table_name="movements")
