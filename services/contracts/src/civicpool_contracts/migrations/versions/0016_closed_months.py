"""closed months of the ledger (issue 21): each account's balance carried forward at the end of every closed month

A statement reads one carried balance plus the entries after it, not the account's whole history. Both tables are
append-only like the ledger: a month is closed once; a correction is a later posting, never an update.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("ledger_closed_months", "ledger_month_balances")


def upgrade() -> None:
    op.create_table(
        "ledger_closed_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_ledger_closed_months")),
    )
    op.create_table(
        "ledger_month_balances",
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month"], ["ledger_closed_months.month"], name=op.f("fk_ledger_month_balances_month_ledger_closed_months")
        ),
        sa.PrimaryKeyConstraint("account", "month", name=op.f("pk_ledger_month_balances")),
    )
    for table in APPEND_ONLY:
        _refuse_changes(table)


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        _allow_changes(table)
        op.drop_table(table)


def _refuse_changes(table: str) -> None:
    """As 0003 does for the ledger: append-only in the database itself, whatever a client sends."""
    message = f"{table} is append-only: a closed month is corrected by a later posting"
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
