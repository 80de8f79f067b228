from civicpool_catalog.models import Base
from civicpool_common.migrations_env import run_migrations

run_migrations(Base.metadata)
