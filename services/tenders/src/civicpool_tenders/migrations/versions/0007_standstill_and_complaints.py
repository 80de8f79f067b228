"""standstill and complaints: the standstill after the award decision (§ 134 GWB), the information notices to
the bidders not chosen, and review applications (§ 160 GWB) with their outcome

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("chamber", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("outcome_recorded_by", sa.String(length=255), nullable=False),
        sa.Column("outcome_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("outcome IN ('', 'dismissed', 'upheld')", name=op.f("ck_complaints_outcome")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_complaints_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "information_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("earliest_conclusion_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("electronic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_information_notices_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_notices")),
    )
    with op.batch_alter_table("information_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_information_notices_tender_id"), ["tender_id"], unique=False)

    op.add_column("tenders", sa.Column("standstill", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("tenders", sa.Column("award_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tenders", sa.Column("standstill_ends_on", sa.Date(), nullable=True))
    op.add_column("tenders", sa.Column("contracts_activated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tenders", sa.Column("contracts_activated_by", sa.String(length=255), server_default="", nullable=False)
    )
    # Tenders at or above the EU threshold not awarded yet wait out a standstill once awarded.
    op.execute(
        "UPDATE tenders SET standstill = true WHERE recommended_procedure = 'open_eu' "
        "AND status IN ('draft', 'published', 'bidding_closed', 'evaluated')"
    )


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_column("contracts_activated_by")
        batch_op.drop_column("contracts_activated_at")
        batch_op.drop_column("standstill_ends_on")
        batch_op.drop_column("award_decided_at")
        batch_op.drop_column("standstill")

    with op.batch_alter_table("information_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_information_notices_tender_id"))

    op.drop_table("information_notices")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_tender_id"))

    op.drop_table("complaints")
