"""`python -m civicpool_demand [serve|migrate]`."""

from __future__ import annotations

import sys

from civicpool.demand.v1 import demand_pb2
from civicpool_common.grpc_server import ServiceDefinition, run_cli

from civicpool_demand.config import DemandSettings
from civicpool_demand.grpc_api import register

DEFINITION = ServiceDefinition(
    name="demand",
    full_service_name=demand_pb2.DESCRIPTOR.services_by_name["DemandService"].full_name,
    migrations="civicpool_demand:migrations",
    register=register,
)

if __name__ == "__main__":
    sys.exit(run_cli(DEFINITION, DemandSettings(), sys.argv[1:]))
