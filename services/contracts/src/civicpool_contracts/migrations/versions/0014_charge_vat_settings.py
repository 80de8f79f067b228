"""the network's setting for VAT on charges between member cities (§ 2b UStG from 2027), each setting kept

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charge_vat_settings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("treatment", sa.String(length=24), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "treatment IN ('law_on_invoice_date', 'not_taxable_2b_3', 'taxable')",
            name=op.f("ck_charge_vat_settings_treatment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_vat_settings")),
    )


def downgrade() -> None:
    op.drop_table("charge_vat_settings")
