"""mini-competitions under frameworks with several vendors (§ 21 (5) VgV): the invitations, the sealed offers,
and what ranks them (the evaluation's weights on the framework, each vendor's scores on its contract)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mini_competitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("framework_id", sa.String(length=36), nullable=False),
        sa.Column("quantities", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("offers_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("winner_contract_id", sa.String(length=36), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("call_off_ids", sa.JSON(), nullable=False),
        sa.Column("awarded_by", sa.String(length=255), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'awarded', 'no_offers')", name=op.f("ck_mini_competitions_status")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_mini_competitions_quantity_positive")),
        sa.CheckConstraint("unit_price_cents >= 0", name=op.f("ck_mini_competitions_unit_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_mini_competitions_framework_id_frameworks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mini_competitions")),
    )
    with op.batch_alter_table("mini_competitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mini_competitions_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "mini_competition_offers",
        sa.Column("competition_id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("price_score_milli", sa.Integer(), nullable=False),
        sa.Column("total_score_milli", sa.Integer(), nullable=False),
        sa.CheckConstraint("unit_price_cents > 0", name=op.f("ck_mini_competition_offers_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["mini_competitions.id"],
            name=op.f("fk_mini_competition_offers_competition_id_mini_competitions"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_mini_competition_offers_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("competition_id", "contract_id", name=op.f("pk_mini_competition_offers")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality_score", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("data_protection_score", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price_weight", sa.Integer(), server_default="100", nullable=False))
        batch_op.add_column(sa.Column("quality_weight", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("data_protection_weight", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_column("data_protection_weight")
        batch_op.drop_column("quality_weight")
        batch_op.drop_column("price_weight")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("data_protection_score")
        batch_op.drop_column("quality_score")

    op.drop_table("mini_competition_offers")
    with op.batch_alter_table("mini_competitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mini_competitions_framework_id"))

    op.drop_table("mini_competitions")
