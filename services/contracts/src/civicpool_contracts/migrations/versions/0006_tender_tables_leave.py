"""tender tables leave: tendering is the tenders service now, with its own database

Contracts keep the tender, lot and bid they came from as plain ids (no foreign keys into another
service's records). The tender tables of this database are dropped here when they are empty (a new
installation); an installation with tenders keeps them until `civicpool migrate` has moved their rows
into the tenders database (civicpool_cli.carry_over), which then drops them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_TABLES = ("bid_scores", "lot_shares", "lot_items", "bids", "tender_events", "lots", "tenders")  # children first
FOREIGN_KEYS = (("tender_id", "tenders"), ("lot_id", "lots"), ("bid_id", "bids"))


def upgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        for column, parent in FOREIGN_KEYS:
            batch_op.drop_constraint(f"fk_contracts_{column}_{parent}", type_="foreignkey")
    connection = op.get_bind()
    if any(connection.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in LEGACY_TABLES):  # noqa: S608
        return  # rows to move first: civicpool migrate carries them over, then drops the tables
    drop_legacy_tables()


def drop_legacy_tables() -> None:
    with op.batch_alter_table("bid_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bid_scores_tender_id"))

    op.drop_table("bid_scores")
    with op.batch_alter_table("lot_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_shares_tender_id"))

    op.drop_table("lot_shares")
    with op.batch_alter_table("lot_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_items_tender_id"))

    op.drop_table("lot_items")
    with op.batch_alter_table("bids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bids_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_bids_tender_id"))

    op.drop_table("bids")
    with op.batch_alter_table("tender_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_events_tender_id"))

    op.drop_table("tender_events")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_tender_id"))

    op.drop_table("lots")
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenders_lead_city_id"))

    op.drop_table("tenders")


def downgrade() -> None:
    if "tenders" not in sa.inspect(op.get_bind()).get_table_names():
        create_legacy_tables()
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        for column, parent in FOREIGN_KEYS:
            batch_op.create_foreign_key(f"fk_contracts_{column}_{parent}", parent, [column], ["id"])


def create_legacy_tables() -> None:
    op.create_table(
        "tenders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lead_city_id", sa.String(length=40), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("participating_city_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("estimated_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("recommended_procedure", sa.String(length=32), nullable=False),
        sa.Column("recommendation_reason", sa.Text(), nullable=False),
        sa.Column("procedure", sa.String(length=32), nullable=False),
        sa.Column("procedure_justification", sa.Text(), nullable=False),
        sa.Column("bids_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bids_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bids_opened_by", sa.String(length=255), nullable=False),
        sa.Column("weight_price", sa.Integer(), nullable=False),
        sa.Column("weight_quality", sa.Integer(), nullable=False),
        sa.Column("weight_data_protection", sa.Integer(), nullable=False),
        sa.Column("evaluated_by", sa.String(length=255), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "procedure = recommended_procedure OR procedure_justification <> ''",
            name=op.f("ck_tenders_other_procedure_justified"),
        ),
        sa.CheckConstraint(
            "procedure IN ('direct_award', 'restricted_or_negotiated', 'open_national', 'open_eu')",
            name=op.f("ck_tenders_procedure"),
        ),
        sa.CheckConstraint(
            "recommended_procedure IN ('direct_award', 'restricted_or_negotiated', 'open_national', 'open_eu')",
            name=op.f("ck_tenders_recommended_procedure"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'bidding_closed', 'evaluated', 'awarded', 'cancelled')",
            name=op.f("ck_tenders_status"),
        ),
        sa.CheckConstraint("estimated_value_cents >= 0", name=op.f("ck_tenders_value_not_negative")),
        sa.CheckConstraint(
            "weight_price + weight_quality + weight_data_protection IN (0, 100)",
            name=op.f("ck_tenders_weights_sum_to_100"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenders")),
        sa.UniqueConstraint("round_id", name=op.f("uq_tenders_round_id")),
    )
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenders_lead_city_id"), ["lead_city_id"], unique=False)

    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("estimated_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("awarded_bid_id", sa.String(length=36), nullable=False),
        sa.Column("award_justification", sa.Text(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_lots_number_positive")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_lots_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("tender_id", "number", name=op.f("uq_lots_tender_id")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "tender_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_tender_events_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_events")),
    )
    with op.batch_alter_table("tender_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tender_events_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "bids",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("delivery_days", sa.Integer(), nullable=False),
        sa.Column("hosting_region", sa.String(length=16), nullable=False),
        sa.Column("dpa_offered", sa.Boolean(), nullable=False),
        sa.Column("open_source", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.String(length=255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("hosting_region IN ('', 'DE', 'EU', 'third_country')", name=op.f("ck_bids_hosting_region")),
        sa.CheckConstraint("status IN ('submitted', 'withdrawn')", name=op.f("ck_bids_status")),
        sa.CheckConstraint("delivery_days >= 0", name=op.f("ck_bids_delivery_days_not_negative")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_bids_lot_id_lots")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_bids_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
        sa.UniqueConstraint("lot_id", "vendor_id", name=op.f("uq_bids_lot_id")),
    )
    with op.batch_alter_table("bids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bids_tender_id"), ["tender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bids_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "lot_items",
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("cpv_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_lot_items_quantity_positive")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_lot_items_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", "item_id", name=op.f("pk_lot_items")),
    )
    with op.batch_alter_table("lot_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_items_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "lot_shares",
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_lot_shares_quantity_positive")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_lot_shares_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", "item_id", "city_id", name=op.f("pk_lot_shares")),
    )
    with op.batch_alter_table("lot_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_shares_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "bid_scores",
        sa.Column("bid_id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("evaluated_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("price_score_milli", sa.BigInteger(), nullable=False),
        sa.Column("quality_score", sa.Integer(), nullable=False),
        sa.Column("quality_note", sa.Text(), nullable=False),
        sa.Column("data_protection_score", sa.Integer(), nullable=False),
        sa.Column("data_protection_proposed", sa.Integer(), nullable=False),
        sa.Column("data_protection_reason", sa.Text(), nullable=False),
        sa.Column("total_score_milli", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("tie_break", sa.Text(), nullable=False),
        sa.CheckConstraint("data_protection_score BETWEEN 0 AND 100", name=op.f("ck_bid_scores_data_protection_range")),
        sa.CheckConstraint("quality_score BETWEEN 0 AND 100", name=op.f("ck_bid_scores_quality_range")),
        sa.CheckConstraint("rank > 0", name=op.f("ck_bid_scores_rank_positive")),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_bid_scores_bid_id_bids")),
        sa.PrimaryKeyConstraint("bid_id", name=op.f("pk_bid_scores")),
    )
    with op.batch_alter_table("bid_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bid_scores_tender_id"), ["tender_id"], unique=False)
