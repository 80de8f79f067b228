from civicpool_common.migrations_env import run_migrations
from civicpool_demand.models import Base

run_migrations(Base.metadata)
