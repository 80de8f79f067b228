"""Settings of the catalog service (CIVICPOOL_CATALOG_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_CATALOG_")

    port: int = 50051
    # How often the change feed looks for writes of other catalog replicas (its own wake it at once).
    feed_poll_seconds: float = 0.25
