"""frameworks with several vendors: the framework's maximum and the cities' quotas held once for all its vendors,
each vendor's place in the cascade, and the call-offs passed on along it

A lot item now has one contract per vendor of its framework, so the unique lot item holds per rank.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_REVOKED = sa.text("status <> 'revoked'")


def upgrade() -> None:
    op.create_table(
        "frameworks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("vendors", sa.Integer(), nullable=False),
        sa.Column("estimated_quantity", sa.BigInteger(), nullable=False),
        sa.Column("max_quantity", sa.BigInteger(), nullable=False),
        sa.Column("estimated_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("max_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("called_off", sa.BigInteger(), nullable=False),
        sa.Column("called_off_value_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("called_off BETWEEN 0 AND max_quantity", name=op.f("ck_frameworks_called_off_within_max")),
        sa.CheckConstraint(
            "called_off_value_cents BETWEEN 0 AND max_value_cents", name=op.f("ck_frameworks_value_within_max")
        ),
        sa.CheckConstraint(
            "estimated_quantity > 0 AND estimated_quantity <= max_quantity",
            name=op.f("ck_frameworks_estimate_within_max"),
        ),
        sa.CheckConstraint("max_value_cents >= 0", name=op.f("ck_frameworks_max_value_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frameworks")),
    )
    op.create_index(op.f("ix_frameworks_tender_id"), "frameworks", ["tender_id"])
    op.create_table(
        "framework_quotas",
        sa.Column("framework_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("called_off", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "called_off BETWEEN 0 AND quantity", name=op.f("ck_framework_quotas_called_off_within_quota")
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_framework_quotas_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_framework_quotas_framework_id_frameworks")
        ),
        sa.PrimaryKeyConstraint("framework_id", "city_id", name=op.f("pk_framework_quotas")),
    )
    transaction = ["ledger_transactions.id"]
    op.create_table(
        "cascade_steps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_off_id", sa.String(length=36), nullable=False),
        sa.Column("reversal_id", sa.String(length=36), nullable=False),
        sa.Column("next_call_off_id", sa.String(length=36), nullable=False),
        sa.Column("from_contract_id", sa.String(length=36), nullable=False),
        sa.Column("to_contract_id", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cause IN ('declined', 'not_in_time')", name=op.f("ck_cascade_steps_cause")),
        sa.ForeignKeyConstraint(
            ["call_off_id"], transaction, name=op.f("fk_cascade_steps_call_off_id_ledger_transactions")
        ),
        sa.ForeignKeyConstraint(
            ["from_contract_id"], ["contracts.id"], name=op.f("fk_cascade_steps_from_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["next_call_off_id"], transaction, name=op.f("fk_cascade_steps_next_call_off_id_ledger_transactions")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_id"], transaction, name=op.f("fk_cascade_steps_reversal_id_ledger_transactions")
        ),
        sa.ForeignKeyConstraint(
            ["to_contract_id"], ["contracts.id"], name=op.f("fk_cascade_steps_to_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cascade_steps")),
        sa.UniqueConstraint("call_off_id", name=op.f("uq_cascade_steps_call_off_id")),
    )
    op.drop_index("uq_contracts_lot_item_not_revoked", table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("framework_id", sa.String(length=36), server_default="", nullable=False))
        batch.add_column(sa.Column("framework_rank", sa.Integer(), server_default="1", nullable=False))
        batch.create_check_constraint("framework_rank_positive", "framework_rank > 0")
    op.create_index(op.f("ix_contracts_framework_id"), "contracts", ["framework_id"])
    op.create_index(
        "uq_contracts_lot_item_rank_not_revoked", "contracts", ["lot_id", "item_id", "framework_rank"], unique=True,
        sqlite_where=NOT_REVOKED, postgresql_where=NOT_REVOKED,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_contracts_lot_item_rank_not_revoked", table_name="contracts")
    op.drop_index(op.f("ix_contracts_framework_id"), table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_constraint(op.f("ck_contracts_framework_rank_positive"), type_="check")
        batch.drop_column("framework_rank")
        batch.drop_column("framework_id")
    op.create_index(
        "uq_contracts_lot_item_not_revoked", "contracts", ["lot_id", "item_id"], unique=True,
        sqlite_where=NOT_REVOKED, postgresql_where=NOT_REVOKED,
    )  # fmt: skip
    op.drop_table("cascade_steps")
    op.drop_table("framework_quotas")
    op.drop_index(op.f("ix_frameworks_tender_id"), table_name="frameworks")
    op.drop_table("frameworks")
