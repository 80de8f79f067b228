"""Settings of the contracts service (CIVICPOOL_CONTRACTS_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class ContractsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_CONTRACTS_")

    port: int = 50053
