"""catalog tables

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:07:36.811755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(ags) = 8", name=op.f("ck_cities_ags_length")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_cities_population_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cities")),
        sa.UniqueConstraint("ags", name=op.f("uq_cities_ags")),
        sa.UniqueConstraint("name", name=op.f("uq_cities_name")),
    )
    op.create_table(
        "cost_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("method IN ('equal', 'population', 'usage', 'fixed')", name=op.f("ck_cost_keys_method")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_cost_keys_name")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cpv_code", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("reference_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bps", sa.Integer(), nullable=False),
        sa.Column("license_model", sa.String(length=16), nullable=True),
        sa.Column("license_term_months", sa.Integer(), nullable=True),
        sa.Column("hosting_region", sa.String(length=16), nullable=True),
        sa.Column("dpa_available", sa.Boolean(), nullable=False),
        sa.Column("open_source", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'license') = (license_model IS NOT NULL AND license_term_months IS NOT NULL)",
            name=op.f("ck_items_license_fields"),
        ),
        sa.CheckConstraint(
            "hosting_region IS NULL OR hosting_region IN ('DE', 'EU', 'third_country')",
            name=op.f("ck_items_region"),
        ),
        sa.CheckConstraint("kind IN ('hardware', 'license', 'service')", name=op.f("ck_items_kind")),
        sa.CheckConstraint("reference_price_cents >= 0", name=op.f("ck_items_price_not_negative")),
        sa.CheckConstraint("vat_rate_bps BETWEEN 0 AND 10000", name=op.f("ck_items_vat_rate_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("sku", name=op.f("uq_items_sku")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_cpv_code"), ["cpv_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_kind"), ["kind"], unique=False)

    op.create_table(
        "vendors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vat_id", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("vat_id", name=op.f("uq_vendors_vat_id")),
    )
    op.create_table(
        "cost_key_shares",
        sa.Column("cost_key_id", sa.String(length=40), nullable=False),
        sa.Column("city_id", sa.String(length=40), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.CheckConstraint("basis_points BETWEEN 1 AND 10000", name=op.f("ck_cost_key_shares_basis_points_range")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_cost_key_shares_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["cost_key_id"], ["cost_keys.id"], name=op.f("fk_cost_key_shares_cost_key_id_cost_keys")
        ),
        sa.PrimaryKeyConstraint("cost_key_id", "city_id", name=op.f("pk_cost_key_shares")),
    )
    with op.batch_alter_table("cost_key_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cost_key_shares_city_id"), ["city_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cost_key_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_key_shares_city_id"))

    op.drop_table("cost_key_shares")
    op.drop_table("vendors")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_kind"))
        batch_op.drop_index(batch_op.f("ix_items_cpv_code"))

    op.drop_table("items")
    op.drop_table("cost_keys")
    op.drop_table("cities")
