"""charges to member cities (issue 20): the XRechnung the lead city issued each member for its part of a shared cost;
the ledger's postings of their VAT

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'call_off', 'return', 'take', 'move', 'shared_cost', 'reversal', 'invoice', 'credit_note'"


def upgrade() -> None:
    op.create_table(
        "charge_invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("seller_city_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_city_id", sa.String(length=40), nullable=False),
        sa.Column("leitweg_id", sa.String(length=46), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("vat_cents", sa.BigInteger(), nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), nullable=False),
        sa.Column("vat_category", sa.String(length=1), nullable=False),
        sa.Column("vat_rate_bps", sa.Integer(), nullable=False),
        sa.Column("legal_note", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("vat_transaction_id", sa.String(length=36), nullable=False),
        sa.Column("issued_by", sa.String(length=255), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "net_cents > 0 AND vat_cents >= 0 AND gross_cents = net_cents + vat_cents",
            name=op.f("ck_charge_invoices_amounts"),
        ),
        sa.CheckConstraint("vat_category IN ('O', 'S')", name=op.f("ck_charge_invoices_vat_category")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_charge_invoices_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_charge_invoices_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_invoices")),
        sa.UniqueConstraint("seller_city_id", "number", name=op.f("uq_charge_invoices_seller_city_id")),
        sa.UniqueConstraint("transaction_id", "buyer_city_id", name=op.f("uq_charge_invoices_transaction_id")),
    )
    with op.batch_alter_table("charge_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_invoices_buyer_city_id"), ["buyer_city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_invoices_seller_city_id"), ["seller_city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_invoices_transaction_id"), ["transaction_id"], unique=False)
    _ledger_kinds(KINDS + ", 'charge'")


def downgrade() -> None:
    _ledger_kinds(KINDS)
    op.drop_table("charge_invoices")


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
