"""The whole system as child processes on loopback: Keycloak, four services, the gateway.

`civicpool up` and the test suite start the system through this one module,
so what the tests run is what a developer runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from civicpool_common import service_identity
from civicpool_common.healthcheck import serving
from civicpool_common.service_identity import SERVICES

from civicpool_cli import keycloak
from civicpool_cli.carry_over import carry_over_in
from civicpool_cli.keycloak import KeycloakServer

PR_SET_PDEATHSIG = 1
# Stopped tier by tier, each tier at once: the front, then the services (each gives its calls in flight their
# grace; the catalog's feed streams end as their readers go), then what they all depend on.
STOP_TIERS: tuple[tuple[str, ...], ...] = (("gateway",), SERVICES, ("smtp", "keycloak"))
STOP_ORDER = tuple(name for tier in STOP_TIERS for name in tier)


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Ports:
    """The documented local defaults; tests pick free ones."""

    gateway: int = 8000
    keycloak: int = 8080
    keycloak_management: int = 9000
    catalog: int = 50051
    demand: int = 50052
    contracts: int = 50053
    tenders: int = 50054
    gateway_metrics: int = 9100  # Prometheus, apart from the API
    notifications: int = 50055
    smtp: int = 2525  # the local mail server (smtp_server.py): accepted mails land in <data>/mail

    @classmethod
    def free(cls) -> Ports:
        return cls(*(free_port() for _ in dataclasses.fields(cls)))

    def of(self, service: str) -> int:
        port: int = getattr(self, service)
        return port


@dataclass
class Stack:
    data_dir: Path
    ports: Ports = field(default_factory=Ports)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.keycloak = KeycloakServer(self.data_dir / "keycloak", self.ports.keycloak, self.ports.keycloak_management)

    # -- addresses -------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports.of(service)}"

    @property
    def gateway_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway_metrics}/metrics"

    @property
    def maildir(self) -> Path:
        """Where the local SMTP server delivers every mail it accepts (a maildir: new/, cur/, tmp/)."""
        return self.data_dir / "mail"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def environment(self, name: str = "gateway") -> dict[str, str]:
        """What the services and the gateway are told about each other; a service also its own client secret."""
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "CIVICPOOL_ENV": "local",
            "CIVICPOOL_DATA_DIR": str(self.data_dir),
            "CIVICPOOL_OIDC_ISSUER": self.keycloak.issuer,
            "CIVICPOOL_GATEWAY_PORT": str(self.ports.gateway),
            "CIVICPOOL_GATEWAY_PUBLIC_URL": self.gateway_url,
            "CIVICPOOL_GATEWAY_METRICS_PORT": str(self.ports.gateway_metrics),
        }
        for service in SERVICES:
            env[f"CIVICPOOL_{service.upper()}_PORT"] = str(self.ports.of(service))
            env[f"CIVICPOOL_GATEWAY_{service.upper()}_ADDRESS"] = self.address(service)
        env["CIVICPOOL_DEMAND_CATALOG_ADDRESS"] = self.address("catalog")
        env["CIVICPOOL_CONTRACTS_CATALOG_ADDRESS"] = self.address("catalog")
        env["CIVICPOOL_CONTRACTS_DEMAND_ADDRESS"] = self.address("demand")
        env["CIVICPOOL_TENDERS_CATALOG_ADDRESS"] = self.address("catalog")
        env["CIVICPOOL_TENDERS_DEMAND_ADDRESS"] = self.address("demand")
        env["CIVICPOOL_TENDERS_CONTRACTS_ADDRESS"] = self.address("contracts")
        for service in ("demand", "tenders", "contracts"):
            env[f"CIVICPOOL_{service.upper()}_NOTIFICATIONS_ADDRESS"] = self.address("notifications")
        env["CIVICPOOL_NOTIFICATIONS_SMTP_HOST"] = "127.0.0.1"
        env["CIVICPOOL_NOTIFICATIONS_SMTP_PORT"] = str(self.ports.smtp)
        env["CIVICPOOL_NOTIFICATIONS_PORTAL_URL"] = f"{self.gateway_url}/portal"
        if name in service_identity.IDENTITIES:
            variable = service_identity.secret_variable(name)
            env[variable] = self.keycloak.service_secrets()[variable]
        env.update(self.extra_env)
        return env

    # -- processes -------------------------------------------------------------

    def start(self, name: str) -> None:
        if self.is_running(name):
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if name == "keycloak":
            command, env = self.keycloak.command(keycloak.distribution()), self.keycloak.environment()
        elif name == "smtp":
            command = [sys.executable, "-m", "civicpool_cli.smtp_server", "--port", str(self.ports.smtp),
                       "--maildir", str(self.maildir)]  # fmt: skip
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        elif name in SERVICES or name == "gateway":
            command, env = [sys.executable, "-m", f"civicpool_{name}"], self.environment(name)
        else:
            raise StackError(f"unknown component {name!r}")
        with (self.log_dir / f"{name}.log").open("ab") as log:
            # A session of its own: Ctrl-C in the terminal reaches us, and we stop
            # the children in order (gateway first, Keycloak last).
            self._processes[name] = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def is_running(self, name: str) -> bool:
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    def pid(self, name: str) -> int | None:
        """The process id of a running component (the benchmarks read its CPU time)."""
        process = self._processes.get(name)
        return process.pid if process is not None and process.poll() is None else None

    def stop(self, name: str, timeout: float = 15.0) -> None:
        self._stop_together((name,), timeout)

    def _stop_together(self, names: tuple[str, ...], timeout: float = 15.0) -> None:
        """SIGTERM to each at once, then wait for all; whoever is still there at the deadline gets SIGKILL."""
        processes = [p for name in names if (p := self._processes.pop(name, None)) is not None and p.poll() is None]
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL, like a crash: no shutdown, no cleanup (for fault tests)."""
        process = self._processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for tier in STOP_TIERS:
            self._stop_together(tier)

    def log_tail(self, name: str, lines: int = 25) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- readiness -------------------------------------------------------------

    def wait_for(self, name: str, check: Callable[[], bool], timeout: float) -> float:
        """Seconds until `check` holds; StackError if `name` dies or time runs out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if check():
                return time.monotonic() - started
            if name in self._processes and not self.is_running(name):
                raise StackError(f"{name} exited while starting; its log ends with:\n{self.log_tail(name)}")
            time.sleep(0.25)
        raise StackError(f"{name} was not ready after {timeout:.0f} s; its log ends with:\n{self.log_tail(name)}")

    def service_serving(self, service: str) -> bool:
        return serving(self.address(service))

    def smtp_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports.smtp), timeout=1.0):
                return True
        except OSError:
            return False

    def keycloak_ready(self) -> bool:
        return http_ok(self.keycloak.ready_url)

    def gateway_ready(self) -> bool:
        """The gateway itself can serve (its readiness)."""
        return http_ok(f"{self.gateway_url}/readyz")

    def system_ready(self) -> bool:
        """Everything the gateway relies on serves: each service and Keycloak's keys."""
        return http_ok(f"{self.gateway_url}/dependencies")

    # -- all at once -----------------------------------------------------------

    def up(self, progress: Callable[[str], None] = lambda _: None, *, demo_users: bool = True) -> dict[str, float]:
        """Start everything, wait until ready, import the realm. Seconds per step."""
        timings: dict[str, float] = {}
        started = time.monotonic()
        keycloak.distribution()  # fetch/unpack before the clock of the others starts
        # An installation from before the tenders service: its tender tables move first (once).
        carry_over_in(self.data_dir, self.environment(), progress)
        for name in ("keycloak", "smtp", *SERVICES, "gateway"):
            self.start(name)
        progress("started Keycloak, the mail server, the services and the gateway; waiting until they are ready")
        self.wait_for("smtp", self.smtp_ready, timeout=30)
        # The others serve once their replica of the catalog is warm: they need Keycloak's realm for that.
        self._wait_serving(("catalog", "notifications"), started, timings, progress)
        self.wait_for("keycloak", self.keycloak_ready, timeout=240)
        timings["keycloak"] = time.monotonic() - started
        progress(f"Keycloak ready on {self.keycloak.url} ({timings['keycloak']:.1f} s)")
        origins = tuple(
            dict.fromkeys((self.gateway_url, f"http://localhost:{self.ports.gateway}", "http://127.0.0.1:8000"))
        )
        self.keycloak.import_realm(origins, demo_users=demo_users)
        timings["realm"] = time.monotonic() - started
        progress(f"realm civicpool imported{' with demo users' if demo_users else ''} ({timings['realm']:.1f} s)")
        self._wait_serving(("demand", "tenders", "contracts"), started, timings, progress)
        self.wait_for("gateway", self.system_ready, timeout=60)
        timings["gateway"] = time.monotonic() - started
        progress(f"gateway ready on {self.gateway_url} ({timings['gateway']:.1f} s)")
        return timings

    def _wait_serving(
        self, services: tuple[str, ...], started: float, timings: dict[str, float], progress: Callable[[str], None]
    ) -> None:
        for service in services:
            self.wait_for(service, functools.partial(self.service_serving, service), timeout=60)
            timings[service] = time.monotonic() - started
            progress(f"{service} service serving on {self.address(service)} ({timings[service]:.1f} s)")


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when we die, even by SIGKILL; no orphaned servers."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@functools.cache
def _probe() -> httpx.Client:
    """One client for every readiness probe: each new client loads the CA bundle (~25 ms of CPU), and a stack
    probes Keycloak four times a second while it starts."""
    return httpx.Client(timeout=1.0)


def http_ok(url: str) -> bool:
    """True when GET url answers 200 within a second."""
    try:
        return _probe().get(url).status_code == 200
    except httpx.HTTPError:
        return False
