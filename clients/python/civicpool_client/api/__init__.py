# flake8: noqa

# import apis into api package
from civicpool_client.api.catalog_api import CatalogApi
from civicpool_client.api.contracts_api import ContractsApi
from civicpool_client.api.demand_api import DemandApi
from civicpool_client.api.health_api import HealthApi
from civicpool_client.api.identity_api import IdentityApi
from civicpool_client.api.invoices_api import InvoicesApi
from civicpool_client.api.ledger_api import LedgerApi
from civicpool_client.api.mini_competitions_api import MiniCompetitionsApi
from civicpool_client.api.reports_api import ReportsApi
from civicpool_client.api.tenders_api import TendersApi

