from civicpool_common.migrations_env import run_migrations
from civicpool_contracts.models import Base

run_migrations(Base.metadata)
