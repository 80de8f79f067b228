"""`python -m civicpool_notifications [serve|migrate]`."""

from __future__ import annotations

import sys

from civicpool.notifications.v1 import notifications_pb2
from civicpool_common.grpc_server import ServiceDefinition, run_cli

from civicpool_notifications.config import NotificationsSettings
from civicpool_notifications.grpc_api import register

DEFINITION = ServiceDefinition(
    name="notifications",
    full_service_name=notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name,
    migrations="civicpool_notifications:migrations",
    register=register,
)

if __name__ == "__main__":
    sys.exit(run_cli(DEFINITION, NotificationsSettings(), sys.argv[1:]))
