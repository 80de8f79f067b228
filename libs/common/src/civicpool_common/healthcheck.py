"""Is a civicpool gRPC service serving? For readiness waits and container health checks.

python -m civicpool_common.healthcheck 127.0.0.1:50051   # exit 0 when SERVING
"""

from __future__ import annotations

import sys
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def status(address: str, seconds: float = 1.0) -> str:
    """SERVING, NOT_SERVING (e.g. its database is down, or it is stopping) or UNREACHABLE."""
    with grpc.insecure_channel(address) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)  # its type stubs lack Check
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=seconds)
        except grpc.RpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def serving(address: str, seconds: float = 1.0) -> bool:
    return status(address, seconds) == "SERVING"


if __name__ == "__main__":
    sys.exit(0 if serving(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0) else 1)
