from civicpool_common.migrations_env import run_migrations
from civicpool_notifications.models import Base

run_migrations(Base.metadata)
