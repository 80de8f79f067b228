"""Settings of the contracts service (CIVICPOOL_CONTRACTS_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class ContractsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_CONTRACTS_")

    port: int = 50053
    catalog_address: str = "127.0.0.1:50051"
    demand_address: str = "127.0.0.1:50052"
    notifications_address: str = "127.0.0.1:50055"
    neighbour_deadline_seconds: float = Field(5.0, gt=0, le=30)
    # The EU threshold for sub-central authorities' supplies and services from 2026 (net, cents): a cost
    # shared among a contract's cities is bounded by it.
    eu_threshold_cents: int = Field(21_600_000, gt=0)
    # Idempotency keys answer retries for at least this long (the API promises 24 hours).
    idempotency_keep_hours: int = Field(48, ge=24)
    # How often the contracts whose renewal notice date is 90 or 30 days away are looked for (a day missed
    # is made up), and how often the relay delivers notification events not taken yet.
    notice_interval_seconds: float = Field(3600.0, gt=0, le=86400)
    # How often ended months of the ledger are closed (their balances carried forward, closing.py).
    close_interval_seconds: float = Field(3600.0, gt=0, le=86400)
    relay_interval_seconds: float = Field(5.0, gt=0, le=3600)
