"""tenders lots bids evaluation contracts

The tenders table of 0001 had no writer yet, so its new NOT NULL columns need no defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:57:06.608799
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCEDURES = "('direct_award', 'restricted_or_negotiated', 'open_national', 'open_eu')"


def upgrade() -> None:
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

    op.create_table(
        "contracts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tender_id", sa.String(length=36), nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("bid_id", sa.String(length=36), nullable=False),
        sa.Column("lead_city_id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("ceiling_quantity", sa.BigInteger(), nullable=False),
        sa.Column("ceiling_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("renewal_notice_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'expired', 'terminated')", name=op.f("ck_contracts_status")),
        sa.CheckConstraint("ceiling_quantity > 0", name=op.f("ck_contracts_ceiling_quantity_positive")),
        sa.CheckConstraint(
            "ceiling_value_cents = ceiling_quantity * unit_price_cents", name=op.f("ck_contracts_ceiling_value")
        ),
        sa.CheckConstraint(
            "renewal_notice_on BETWEEN starts_on AND ends_on", name=op.f("ck_contracts_renewal_notice_in_term")
        ),
        sa.CheckConstraint("starts_on < ends_on", name=op.f("ck_contracts_starts_before_end")),
        sa.CheckConstraint("unit_price_cents >= 0", name=op.f("ck_contracts_unit_price_not_negative")),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_contracts_bid_id_bids")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_contracts_lot_id_lots")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_contracts_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("lot_id", "item_id", name=op.f("uq_contracts_lot_id")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_tender_id"), ["tender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "contract_quotas",
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_contract_quotas_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_quotas_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("contract_id", "city_id", name=op.f("pk_contract_quotas")),
    )
    with op.batch_alter_table("contract_quotas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_quotas_city_id"), ["city_id"], unique=False)

    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("participating_city_ids", sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column("recommended_procedure", sa.String(length=32), nullable=False))
        batch_op.add_column(sa.Column("recommendation_reason", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("procedure", sa.String(length=32), nullable=False))
        batch_op.add_column(sa.Column("procedure_justification", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("bids_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("bids_opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("bids_opened_by", sa.String(length=255), nullable=False))
        batch_op.add_column(sa.Column("weight_price", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("weight_quality", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("weight_data_protection", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("evaluated_by", sa.String(length=255), nullable=False))
        batch_op.add_column(sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("created_by", sa.String(length=255), nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False))
        batch_op.drop_index(batch_op.f("ix_tenders_round_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_tenders_round_id"), ["round_id"])
        batch_op.create_check_constraint(op.f("ck_tenders_procedure"), f"procedure IN {PROCEDURES}")
        batch_op.create_check_constraint(
            op.f("ck_tenders_recommended_procedure"), f"recommended_procedure IN {PROCEDURES}"
        )
        batch_op.create_check_constraint(
            op.f("ck_tenders_other_procedure_justified"),
            "procedure = recommended_procedure OR procedure_justification <> ''",
        )
        batch_op.create_check_constraint(
            op.f("ck_tenders_weights_sum_to_100"),
            "weight_price + weight_quality + weight_data_protection IN (0, 100)",
        )


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        for check in ("procedure", "recommended_procedure", "other_procedure_justified", "weights_sum_to_100"):
            batch_op.drop_constraint(op.f(f"ck_tenders_{check}"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_tenders_round_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_tenders_round_id"), ["round_id"], unique=False)
        batch_op.drop_column("version")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_by")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("evaluated_at")
        batch_op.drop_column("evaluated_by")
        batch_op.drop_column("weight_data_protection")
        batch_op.drop_column("weight_quality")
        batch_op.drop_column("weight_price")
        batch_op.drop_column("bids_opened_by")
        batch_op.drop_column("bids_opened_at")
        batch_op.drop_column("published_at")
        batch_op.drop_column("bids_due_at")
        batch_op.drop_column("procedure_justification")
        batch_op.drop_column("procedure")
        batch_op.drop_column("recommendation_reason")
        batch_op.drop_column("recommended_procedure")
        batch_op.drop_column("participating_city_ids")
        batch_op.drop_column("description")

    with op.batch_alter_table("contract_quotas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_quotas_city_id"))

    op.drop_table("contract_quotas")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_tender_id"))

    op.drop_table("contracts")
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
