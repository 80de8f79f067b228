"""questions: bidders' questions, the lead's answers and clarifications

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("asked_by", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=255), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("question <> '' OR answer <> ''", name=op.f("ck_questions_question_or_clarification")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_questions_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    op.create_index(op.f("ix_questions_tender_id"), "questions", ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_questions_tender_id"), table_name="questions")
    op.drop_table("questions")
