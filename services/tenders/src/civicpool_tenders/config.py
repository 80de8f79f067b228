"""Settings of the tenders service (CIVICPOOL_TENDERS_*)."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from civicpool_tenders.procedure import ValueLimits


def _named(field: str) -> AliasChoices:
    """CIVICPOOL_TENDERS_<FIELD>, or the same setting's name when tendering was part of the contracts service."""
    return AliasChoices(f"CIVICPOOL_TENDERS_{field.upper()}", f"CIVICPOOL_CONTRACTS_{field.upper()}")


class TendersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_TENDERS_")

    port: int = 50054
    catalog_address: str = "127.0.0.1:50051"
    demand_address: str = "127.0.0.1:50052"
    contracts_address: str = "127.0.0.1:50053"
    notifications_address: str = "127.0.0.1:50055"
    neighbour_deadline_seconds: float = Field(5.0, gt=0, le=30)
    # How often the relay delivers awards' contract orders the contracts service has not confirmed yet.
    relay_interval_seconds: float = Field(5.0, gt=0, le=3600)
    # Award procedure limits, net, in cents. The EU threshold for sub-central authorities'
    # supplies and services from 2026; the national limits differ by Land: check yours.
    # Each also reads its name from before the tenders service (CIVICPOOL_CONTRACTS_...), so a
    # deployment that set it keeps its value.
    eu_threshold_cents: int = Field(21_600_000, gt=0, validation_alias=_named("eu_threshold_cents"))
    direct_award_limit_cents: int = Field(500_000, ge=0, validation_alias=_named("direct_award_limit_cents"))
    restricted_limit_cents: int = Field(10_000_000, ge=0, validation_alias=_named("restricted_limit_cents"))
    # Procurement documents (documents.py): the largest file, and the most all files of one tender (or of one
    # bid) may take together, every version counted.
    max_document_bytes: int = Field(25 * 1024 * 1024, gt=0, le=30 * 1024 * 1024)
    max_documents_bytes_per_tender: int = Field(500 * 1024 * 1024, gt=0)
    # The Land whose public holidays end a period falling on one (ISO 3166-2 code without "DE-"): the
    # standstill after an award (deadlines.standstill).
    holiday_region: str = Field("BW", pattern=r"^[A-Z]{2}$")
    # OCDS ids are "<prefix>-<tender id>"; register a prefix with the Open Contracting Partnership.
    ocid_prefix: str = Field("ocds-civicpool", validation_alias=_named("ocid_prefix"))

    def value_limits(self) -> ValueLimits:
        return ValueLimits(self.eu_threshold_cents, self.direct_award_limit_cents, self.restricted_limit_cents)
