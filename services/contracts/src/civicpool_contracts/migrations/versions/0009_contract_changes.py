"""contract changes: typed changes of active contracts under § 132 GWB, appended, never changed

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
    op.create_table(
        "contract_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("legal_ground", sa.String(length=24), nullable=False),
        sa.Column("index_name", sa.String(length=200), nullable=False),
        sa.Column("quota_additions", sa.JSON(), nullable=False),
        sa.Column("unit_price_cents_before", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_cents_after", sa.BigInteger(), nullable=False),
        sa.Column("ceiling_quantity_before", sa.BigInteger(), nullable=False),
        sa.Column("ceiling_quantity_after", sa.BigInteger(), nullable=False),
        sa.Column("ends_on_before", sa.Date(), nullable=False),
        sa.Column("ends_on_after", sa.Date(), nullable=False),
        sa.Column("vendor_id_before", sa.String(length=40), nullable=False),
        sa.Column("vendor_id_after", sa.String(length=40), nullable=False),
        sa.Column("value_change_cents", sa.BigInteger(), nullable=False),
        sa.Column("cumulative_change_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("de_minimis_limit_cents", sa.BigInteger(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('price_adjustment', 'quantity_increase', 'term_extension', 'vendor_succession')",
            name=op.f("ck_contract_changes_kind"),
        ),
        sa.CheckConstraint(
            "legal_ground IN ('', 'review_clause', 'additional_supplies', 'unforeseeable', 'succession')",
            name=op.f("ck_contract_changes_legal_ground"),
        ),
        sa.CheckConstraint(
            "ceiling_quantity_after >= ceiling_quantity_before", name=op.f("ck_contract_changes_quantity_never_shrinks")
        ),
        sa.CheckConstraint("ends_on_after >= ends_on_before", name=op.f("ck_contract_changes_term_never_shortens")),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_contract_changes_sequence_positive")),
        sa.CheckConstraint("unit_price_cents_after >= 0", name=op.f("ck_contract_changes_unit_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_changes_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_changes")),
        sa.UniqueConstraint("contract_id", "sequence", name=op.f("uq_contract_changes_contract_id")),
    )
    with op.batch_alter_table("contract_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_changes_contract_id"), ["contract_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contract_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_changes_contract_id"))

    op.drop_table("contract_changes")
