"""demand totals: the submitted quantity and line count per round, item and city, kept by triggers

An aggregation read every submitted line of a round (a GROUP BY over 100,000 lines and more); it now
reads one row per item and city. The rows are kept by the database itself: triggers on `demand_lines`
follow every insert, update and delete in the same transaction, whoever writes (the service, an
import, a repair by hand). Rows are never deleted: one that falls to 0 lines stays, and readers skip it,
so a line added while another is withdrawn never races a delete. Existing lines are counted once here.
The index that served the GROUP BY (ix_demand_lines_aggregate) goes: nothing else reads it.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same statements for both databases; NEW / OLD name the line row in the trigger.
_ADD = """INSERT INTO demand_totals (round_id, item_id, city_id, quantity, line_count)
        VALUES (NEW.round_id, NEW.item_id, NEW.city_id, NEW.quantity, 1)
        ON CONFLICT (round_id, item_id, city_id) DO UPDATE
        SET quantity = demand_totals.quantity + excluded.quantity, line_count = demand_totals.line_count + 1;"""
_SUBTRACT = """UPDATE demand_totals SET quantity = quantity - OLD.quantity, line_count = line_count - 1
        WHERE round_id = OLD.round_id AND item_id = OLD.item_id AND city_id = OLD.city_id;"""

POSTGRESQL = [
    f"""CREATE FUNCTION demand_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'submitted' THEN
        {_SUBTRACT}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'submitted' THEN
        {_ADD}
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER demand_totals_follow AFTER INSERT OR UPDATE OR DELETE ON demand_lines "
    "FOR EACH ROW EXECUTE FUNCTION demand_totals_follow()",
]
# SQLite runs a trigger's statements in order: an update first takes the old line out, then puts the new one in.
SQLITE = [
    f"""CREATE TRIGGER demand_totals_on_insert AFTER INSERT ON demand_lines WHEN NEW.status = 'submitted'
    BEGIN {_ADD} END""",
    f"""CREATE TRIGGER demand_totals_on_delete AFTER DELETE ON demand_lines WHEN OLD.status = 'submitted'
    BEGIN {_SUBTRACT} END""",
    f"""CREATE TRIGGER demand_totals_on_update_old AFTER UPDATE ON demand_lines WHEN OLD.status = 'submitted'
    BEGIN {_SUBTRACT} END""",
    f"""CREATE TRIGGER demand_totals_on_update_new AFTER UPDATE ON demand_lines WHEN NEW.status = 'submitted'
    BEGIN {_ADD} END""",
]


def upgrade() -> None:
    op.create_table(
        "demand_totals",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "item_id", "city_id", name=op.f("pk_demand_totals")),
    )
    op.execute(
        "INSERT INTO demand_totals (round_id, item_id, city_id, quantity, line_count) "
        "SELECT round_id, item_id, city_id, SUM(quantity), COUNT(*) FROM demand_lines WHERE status = 'submitted' "
        "GROUP BY round_id, item_id, city_id"
    )
    op.drop_index("ix_demand_lines_aggregate", table_name="demand_lines")
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    columns = ["round_id", "status", "item_id", "city_id", "quantity"]
    op.create_index("ix_demand_lines_aggregate", "demand_lines", columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER demand_totals_follow ON demand_lines")
        op.execute("DROP FUNCTION demand_totals_follow")
    else:
        for name in ("on_insert", "on_delete", "on_update_old", "on_update_new"):
            op.execute(f"DROP TRIGGER demand_totals_{name}")
    op.drop_table("demand_totals")
