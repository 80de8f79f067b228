"""`python -m civicpool_tenders [serve|migrate]`."""

from __future__ import annotations

import sys

from civicpool.tenders.v1 import tenders_pb2
from civicpool_common.grpc_server import ServiceDefinition, run_cli

from civicpool_tenders.config import TendersSettings
from civicpool_tenders.grpc_api import register

DEFINITION = ServiceDefinition(
    name="tenders",
    full_service_name=tenders_pb2.DESCRIPTOR.services_by_name["TendersService"].full_name,
    migrations="civicpool_tenders:migrations",
    register=register,
)

if __name__ == "__main__":
    sys.exit(run_cli(DEFINITION, TendersSettings(), sys.argv[1:]))
