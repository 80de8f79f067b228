"""Settings of the demand service (CIVICPOOL_DEMAND_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class DemandSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_DEMAND_")

    port: int = 50052
