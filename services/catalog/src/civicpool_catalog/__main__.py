"""`python -m civicpool_catalog [serve|migrate]`."""

from __future__ import annotations

import sys

from civicpool.catalog.v1 import catalog_pb2
from civicpool_common.grpc_server import ServiceDefinition, run_cli

from civicpool_catalog.config import CatalogSettings
from civicpool_catalog.grpc_api import register

DEFINITION = ServiceDefinition(
    name="catalog",
    full_service_name=catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
    migrations="civicpool_catalog:migrations",
    register=register,
)

if __name__ == "__main__":
    sys.exit(run_cli(DEFINITION, CatalogSettings(), sys.argv[1:]))
