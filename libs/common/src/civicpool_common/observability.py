"""Logs as JSON lines with the request id, and Prometheus metrics: one home for both.

A request id comes in with a request to the gateway (`X-Request-Id`, or a new
one), travels to the services in the gRPC metadata (`x-request-id`), and is in
every log line written while the request is handled, in every process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram

from civicpool_common.messages import LANGUAGE_METADATA, current_language
from civicpool_common.methods import full_service_name
from civicpool_common.service_identity import SERVICE_TOKEN_METADATA

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
current_request_id: ContextVar[str] = ContextVar("request_id", default="")

# Seconds buckets from a fast cached read to a slow report.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_REQUESTS = Counter(
    "civicpool_http_requests", "HTTP requests answered by the gateway", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "civicpool_http_request_seconds", "Time to answer an HTTP request", ["method", "route"], buckets=LATENCY_BUCKETS
)
GRPC_HANDLED = Counter("civicpool_grpc_server_handled", "gRPC calls a service answered", ["method", "code"])
GRPC_SECONDS = Histogram(
    "civicpool_grpc_server_seconds", "Time to answer a gRPC call", ["method"], buckets=LATENCY_BUCKETS
)
DB_POOL_CHECKED_OUT = Gauge("civicpool_db_pool_checked_out", "Database connections in use", ["database"])
DB_POOL_SIZE = Gauge("civicpool_db_pool_size", "Database connections the pool keeps", ["database"])
DEPENDENCY_UP = Gauge("civicpool_dependency_up", "1 while a service or Keycloak serves the gateway", ["dependency"])


# Calls about sealed bids are counted together, whatever their route or method: per-route counters would
# tell whoever reads the metrics when bids arrive while bidding is sealed.
SEALED_LABEL = "sealed bids"
SEALED_ROUTE_PREFIX = "/api/v1/tenders/{id}/bids"
SEALED_RPCS = frozenset(
    f"/{full_service_name('tenders')}/{name}" for name in ("SubmitBid", "ReplaceBid", "WithdrawBid", "ListBids")
)


def start_metrics_server(process: str, host: str, port: int) -> Any:
    """Prometheus metrics at http://host:port/metrics, apart from the public API (a port the Service or the
    Ingress does not expose). The server runs in its own thread; shut it down when the process stops."""
    server, _ = prometheus_client.start_http_server(port, addr=host)
    logging.getLogger("civicpool.metrics").info("%s metrics on http://%s:%s/metrics", process, host, port)
    return server


def outgoing_metadata(token: str, service_token: str = "") -> tuple[tuple[str, str], ...]:
    """The metadata of a call to a service: the caller's token, this request's id and the reader's language,
    hop after hop; for an internal method also the calling service's own token (service_identity.py)."""
    metadata = [(REQUEST_ID_HEADER, current_request_id.get()), (LANGUAGE_METADATA, current_language.get())]
    if token:  # none when a service acts on its own (an internal method called with its token alone)
        metadata.append(("authorization", f"Bearer {token}"))
    if service_token:
        metadata.append((SERVICE_TOKEN_METADATA, f"Bearer {service_token}"))
    return tuple(metadata)


def request_id_from(sent: str | None) -> str:
    """The caller's request id if it is a plain token of at most 64 characters, else a new one."""
    if sent and _SAFE_REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, process, logger, message, request id, error."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self._process = process

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "process": self._process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "route", "status", "code", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(process: str, level: int = logging.INFO) -> None:
    """Every log line of this process as JSON on stderr (the launcher or the container runtime keeps them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
