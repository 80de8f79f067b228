"""`python -m civicpool_contracts [serve|migrate]`."""

from __future__ import annotations

import sys

from civicpool.contracts.v1 import contracts_pb2
from civicpool_common.grpc_server import ServiceDefinition, run_cli

from civicpool_contracts.config import ContractsSettings
from civicpool_contracts.grpc_api import register

DEFINITION = ServiceDefinition(
    name="contracts",
    full_service_name=contracts_pb2.DESCRIPTOR.services_by_name["ContractsService"].full_name,
    migrations="civicpool_contracts:migrations",
    register=register,
)

if __name__ == "__main__":
    sys.exit(run_cli(DEFINITION, ContractsSettings(), sys.argv[1:]))
