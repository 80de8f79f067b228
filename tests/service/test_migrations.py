"""Each service's migrations build exactly its models, on SQLite and PostgreSQL, and can be undone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from civicpool_catalog.models import Base as CatalogBase
from civicpool_common.database import alembic_config, migrate, sync_url
from civicpool_contracts.models import Base as ContractsBase
from civicpool_demand.models import Base as DemandBase
from civicpool_tenders.models import Base as TendersBase
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.support.databases import DatabaseFactory

SERVICES = [
    ("civicpool_catalog:migrations", CatalogBase.metadata),
    ("civicpool_demand:migrations", DemandBase.metadata),
    ("civicpool_tenders:migrations", TendersBase.metadata),
    ("civicpool_contracts:migrations", ContractsBase.metadata),
]


@pytest.mark.parametrize(("migrations", "metadata"), SERVICES)
def test_migrations_match_the_models(databases: DatabaseFactory, migrations: str, metadata: MetaData) -> None:
    url = databases.empty()
    migrate(url, migrations)
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert differences == []


@pytest.mark.parametrize(("migrations", "metadata"), SERVICES)
def test_migrations_go_down_and_up_again(databases: DatabaseFactory, migrations: str, metadata: MetaData) -> None:
    from alembic import command

    url = databases.empty()
    config = alembic_config(url, migrations)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(sync_url(url))
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")


def test_the_database_itself_refuses_a_negative_price(databases: DatabaseFactory) -> None:
    engine = create_engine(sync_url(databases.fresh("civicpool_catalog:migrations")))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO items (id, sku, name, description, kind, cpv_code, unit, reference_price_cents, "
                "vat_rate_bps, dpa_available, open_source, active, version, created_at, updated_at) VALUES "
                "('x', 'X', 'x', '', 'hardware', '30213100-6', 'St', -1, 1900, false, false, true, 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
