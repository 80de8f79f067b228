"""Settings of the demand service (CIVICPOOL_DEMAND_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class DemandSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_DEMAND_")

    port: int = 50052
    catalog_address: str = "127.0.0.1:50051"
    catalog_deadline_seconds: float = Field(2.0, gt=0, le=30)
    # How often open rounds past their closes_at are closed; writes check it themselves.
    close_interval_seconds: float = Field(30.0, gt=0)
