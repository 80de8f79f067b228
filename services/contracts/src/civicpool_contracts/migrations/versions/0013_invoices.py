"""e-invoices (issue 20): every upload with its SHA-256 and outcome, its lines, its file; the ledger's postings of
approved invoices and credit notes

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

STANDING = "vendor_id <> '' AND status IN ('mismatched', 'matched', 'approved')"
revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("syntax", sa.String(length=8), nullable=False),
        sa.Column("scenario", sa.String(length=120), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("mismatches", sa.JSON(), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("credit_note", sa.Boolean(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("buyer_reference", sa.String(length=200), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("seller_name", sa.String(length=200), nullable=False),
        sa.Column("contract_reference", sa.String(length=200), nullable=False),
        sa.Column("order_reference", sa.String(length=200), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("duplicate_of", sa.String(length=36), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "status IN ('refused', 'invalid', 'duplicate', 'mismatched', 'matched', 'approved', 'rejected')",
            name=op.f("ck_invoices_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_invoices_vendor_number_standing", ["vendor_id", "number"], unique=True,
            sqlite_where=sa.text(STANDING), postgresql_where=sa.text(STANDING),
        )  # fmt: skip

    op.create_table(
        "invoice_documents",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_documents_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_documents")),
    )
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=200), nullable=False),
        sa.Column("seller_item_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("invoice_id", "position", name=op.f("pk_invoice_lines")),
    )
    _ledger_kinds("'call_off', 'return', 'take', 'move', 'shared_cost', 'reversal', 'invoice', 'credit_note'")


def downgrade() -> None:
    _ledger_kinds("'call_off', 'return', 'take', 'move', 'shared_cost', 'reversal'")
    op.drop_table("invoice_lines")
    op.drop_table("invoice_documents")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("uq_invoices_vendor_number_standing")
        batch_op.drop_index(batch_op.f("ix_invoices_status"))
        batch_op.drop_index(batch_op.f("ix_invoices_sha256"))
        batch_op.drop_index(batch_op.f("ix_invoices_contract_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_city_id"))

    op.drop_table("invoices")


def _ledger_kinds(kinds: str) -> None:
    with op.batch_alter_table("ledger_transactions") as batch:
        batch.drop_constraint(op.f("ck_ledger_transactions_kind"), type_="check")
        batch.create_check_constraint("kind", f"kind IN ({kinds})")
    if op.get_bind().dialect.name == "sqlite":  # SQLite's batch copied the table: its append-only triggers (0003) anew
        message = "ledger_transactions is append-only: post a reversing transaction instead"
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_transactions_no_{event.lower()} BEFORE {event} ON ledger_transactions "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
