from civicpool_common.migrations_env import run_migrations
from civicpool_tenders.models import Base

run_migrations(Base.metadata)
