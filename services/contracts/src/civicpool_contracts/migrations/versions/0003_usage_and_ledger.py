"""call-offs, the license pool, quota shifts, the append-only ledger, idempotency keys

Counters start at 0 for contracts awarded before. Triggers refuse every UPDATE and DELETE
on the ledger, the movements and the quota shifts: corrections are reversing postings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:31:34.168599
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("ledger_transactions", "ledger_entries", "movements", "quota_shifts")


def _refuse_changes(table: str) -> None:
    """Make the table append-only in the database itself, whatever a client sends."""
    message = f"{table} is append-only: post a reversing transaction instead"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _allow_changes(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION {table}_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{event}")


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_budgets_amount_not_negative")),
        sa.CheckConstraint("year BETWEEN 2000 AND 2999", name=op.f("ck_budgets_year_range")),
        sa.PrimaryKeyConstraint("city_id", "year", name=op.f("pk_budgets")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)

    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reverses_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('call_off', 'return', 'take', 'move', 'shared_cost', 'reversal')",
            name=op.f("ck_ledger_transactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_ledger_transactions_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_reverses_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_transactions_reverses_id")),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_transactions_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_transactions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_transactions_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "quota_shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("from_city_id", sa.String(length=40), nullable=False),
        sa.Column("to_city_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("from_city_id <> to_city_id", name=op.f("ck_quota_shifts_two_cities")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quota_shifts_quantity_positive")),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name=op.f("fk_quota_shifts_contract_id_contracts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_shifts")),
    )
    with op.batch_alter_table("quota_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quota_shifts_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_account_time", ["account", "posted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_transaction_id"), ["transaction_id"], unique=False)

    op.create_table(
        "movements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('call_off', 'return', 'take', 'move_out', 'move_in')", name=op.f("ck_movements_kind")
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_movements_quantity_not_zero")),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name=op.f("fk_movements_contract_id_contracts")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transactions.id"], name=op.f("fk_movements_transaction_id_ledger_transactions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index("ix_movements_contract_city", ["contract_id", "city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_operation_id"), ["operation_id"], unique=False)

    with op.batch_alter_table("contract_quotas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_off", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("returned", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("taken", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            op.f("ck_contract_quotas_called_off_within_quota"), "called_off BETWEEN 0 AND quantity"
        )
        batch_op.create_check_constraint(
            op.f("ck_contract_quotas_pool_counts_not_negative"), "returned >= 0 AND taken >= 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_contract_quotas_holding_not_negative"), "called_off - returned + taken >= 0"
        )

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_off", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("in_pool", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("renewal_round_id", sa.String(length=36), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cost_key_id", sa.String(length=40), nullable=False, server_default="usage"))
        batch_op.create_check_constraint(
            op.f("ck_contracts_called_off_within_ceiling"), "called_off BETWEEN 0 AND ceiling_quantity"
        )
        batch_op.create_check_constraint(
            op.f("ck_contracts_called_off_within_value"), "called_off * unit_price_cents <= ceiling_value_cents"
        )
        batch_op.create_check_constraint(op.f("ck_contracts_pool_not_negative"), "in_pool >= 0")

    for table in APPEND_ONLY:
        _refuse_changes(table)


def downgrade() -> None:
    op.drop_table("budgets")
    for table in APPEND_ONLY:
        _allow_changes(table)
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        for check in ("called_off_within_ceiling", "called_off_within_value", "pool_not_negative"):
            batch_op.drop_constraint(op.f(f"ck_contracts_{check}"), type_="check")
        batch_op.drop_column("in_pool")
        batch_op.drop_column("renewal_round_id")
        batch_op.drop_column("cost_key_id")
        batch_op.drop_column("called_off")

    with op.batch_alter_table("contract_quotas", schema=None) as batch_op:
        for check in ("called_off_within_quota", "pool_counts_not_negative", "holding_not_negative"):
            batch_op.drop_constraint(op.f(f"ck_contract_quotas_{check}"), type_="check")
        batch_op.drop_column("taken")
        batch_op.drop_column("returned")
        batch_op.drop_column("called_off")

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_operation_id"))
        batch_op.drop_index("ix_movements_contract_city")

    op.drop_table("movements")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_transaction_id"))
        batch_op.drop_index("ix_ledger_entries_account_time")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("quota_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_shifts_contract_id"))

    op.drop_table("quota_shifts")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_created_at"))
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_contract_id"))

    op.drop_table("ledger_transactions")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
