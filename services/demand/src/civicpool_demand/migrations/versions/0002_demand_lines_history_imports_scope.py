"""demand lines with their history, spreadsheet imports, round scope and status trail

Existing rounds get an empty scope (every item) through the server defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:35:44.769624
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demand_imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("add_once_key", sa.String(length=200), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('add', 'replace')", name=op.f("ck_demand_imports_mode")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_demand_imports_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_imports")),
        sa.UniqueConstraint("add_once_key", name=op.f("uq_demand_imports_add_once_key")),
    )
    op.create_table(
        "demand_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("priority IN ('high', 'normal', 'low')", name=op.f("ck_demand_lines_priority")),
        sa.CheckConstraint("status IN ('submitted', 'withdrawn')", name=op.f("ck_demand_lines_status")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_demand_lines_quantity_positive")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_demand_lines_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_lines")),
    )
    with op.batch_alter_table("demand_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_demand_lines_aggregate", ["round_id", "status", "item_id", "city_id", "quantity"], unique=False
        )
        batch_op.create_index("ix_demand_lines_city", ["round_id", "city_id", "id"], unique=False)

    op.create_table(
        "demand_line_versions",
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=12), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "change IN ('created', 'updated', 'withdrawn')", name=op.f("ck_demand_line_versions_change")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["demand_imports.id"], name=op.f("fk_demand_line_versions_import_id_demand_imports")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["demand_lines.id"], name=op.f("fk_demand_line_versions_line_id_demand_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", "version", name=op.f("pk_demand_line_versions")),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope_item_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("scope_cpv_prefixes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("status_changed_by", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("tender_id", sa.String(length=36), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("tender_id")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("status_changed_by")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("scope_cpv_prefixes")
        batch_op.drop_column("scope_item_ids")

    op.drop_table("demand_line_versions")
    with op.batch_alter_table("demand_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_demand_lines_city")
        batch_op.drop_index("ix_demand_lines_aggregate")

    op.drop_table("demand_lines")
    op.drop_table("demand_imports")
