"""The CIVICPOOL_* variables each process reads: deployment files may set only these."""

from __future__ import annotations

from civicpool_catalog.config import CatalogSettings
from civicpool_common.settings import OidcSettings, RuntimeSettings
from civicpool_contracts.config import ContractsSettings
from civicpool_demand.config import DemandSettings
from civicpool_gateway.config import GatewaySettings
from civicpool_notifications.config import NotificationsSettings
from civicpool_portal.config import PortalSettings
from civicpool_tenders.config import TendersSettings
from pydantic_settings import BaseSettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "catalog": CatalogSettings,
    "demand": DemandSettings,
    "tenders": TendersSettings,
    "contracts": ContractsSettings,
    "notifications": NotificationsSettings,
    "gateway": GatewaySettings,
}
# What else a process reads: the gateway serves the portal, which has settings of its own.
ALSO: dict[str, tuple[type[BaseSettings], ...]] = {"gateway": (PortalSettings,)}


def known_variables(process: str) -> set[str]:
    """What `process` reads: its own settings, the shared ones, and the services' (the CLI's migrate reads all)."""
    known: set[str] = set()
    for settings in (
        SETTINGS[process],
        *ALSO.get(process, ()),
        OidcSettings,
        RuntimeSettings,
        CatalogSettings,
        DemandSettings,
        TendersSettings,
        ContractsSettings,
        NotificationsSettings,
    ):
        prefix = str(settings.model_config.get("env_prefix", ""))
        known |= {f"{prefix}{field}".upper() for field in settings.model_fields}
    return known
