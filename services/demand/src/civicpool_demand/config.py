"""Settings of the demand service (CIVICPOOL_DEMAND_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class DemandSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_DEMAND_")

    port: int = 50052
    catalog_address: str = "127.0.0.1:50051"
    notifications_address: str = "127.0.0.1:50055"
    catalog_deadline_seconds: float = Field(2.0, gt=0, le=30)
    # How often open rounds past their closes_at are closed (writes check it themselves), and the cities
    # without lines in a round closing within 3 days are reminded.
    close_interval_seconds: float = Field(30.0, gt=0)
    # How often the relay delivers notification events the notifications service has not taken yet.
    relay_interval_seconds: float = Field(5.0, gt=0, le=3600)
