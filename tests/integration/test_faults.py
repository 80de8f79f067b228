"""Faults, proven against the running system: what a caller sees while a part is down, and that it recovers.

- A service killed (SIGKILL) during traffic: only 200s and 503 problems, each 503 within the gateway's
  gRPC deadline; /dependencies names the service while /readyz stays 200 (the gateway itself can serve);
  after its restart the gateway serves again, not restarted.
- SIGTERM under load, to each service and to the gateway: the requests in flight finish with 200;
  later ones are refused cleanly (a 503 problem from the gateway, or no connection to a stopped gateway).
- A service's database unavailable: the gateway in front answers 503 problems, a write attempted meanwhile
  changes nothing, and service and gateway recover when the database is back. (Catalog reads keep being
  answered from the gateway's replica of the catalog meanwhile.)
- Keycloak stopped: tokens issued before keep working (the signing keys are cached), a new sign-in through
  the portal is a clear 503 page, and after its restart sign-ins work again. /readyz stays 200 with
  keycloak_jwks "ok": the gateway can verify every token Keycloak issued (it is signing in that is away).
  A token naming a key id the gateway does not know is a 401: it cannot be verified, so it is not trusted,
  whether Keycloak rotated its keys or the token is forged.

Each fault is undone in a `finally`, and the session's processes are restarted and ready before the next
test. Keycloak goes last: it is the one restart that costs half a minute, and services restarted while it
is down could not fetch its signing keys.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from civicpool_cli.demo import DEMO_PASSWORD
from civicpool_cli.stack import SERVICES, Stack, free_port, http_ok
from civicpool_cli.tokens import password_token
from civicpool_common.healthcheck import status
from civicpool_gateway.config import GatewaySettings
from civicpool_portal.page_request import LOGIN_COOKIE

from tests.conftest import PROBLEM, ApiFactory
from tests.support.postgres import PostgresCluster
from tests.support.processes import python_module
from tests.support.tokens import TokenSource

# The gateway's gRPC deadline (its default; the session's gateway does not change it), and generous slack:
# a 503 must come within it, not hang. A correctness bound of the deadline, not a speed test.
DEADLINE_SECONDS: float = GatewaySettings.model_fields["grpc_deadline_seconds"].default
SLACK_SECONDS = 2.0
# A hang shows as a timeout of the client, well after the deadline.
CLIENT_TIMEOUT_SECONDS = 15.0
# One read per service, by a user who may: each touches only that service. (The catalog's lists are answered
# from the gateway's replica; splitting a cost changes nothing and asks the catalog service.)
READS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "catalog": ("/cost-keys/equal/split", {"amount_cents": 120_000}), "demand": ("/rounds", None),
    "tenders": ("/tenders", None), "contracts": ("/contracts", None), "notifications": ("/me/notifications", None),
}  # fmt: skip
READER = "ettlingen.lead"
THREADS = 3


# -- traffic ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One request of the traffic: when it was sent and answered, and what came back."""

    started: float
    ended: float
    status: int | None = None  # None: no HTTP answer at all (see `error`)
    content_type: str = ""
    problem_type: str = ""
    detail: str = ""
    error: str = ""  # the transport error's class name, when there was no answer

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def in_flight_at(self, moment: float) -> bool:
        return self.started < moment < self.ended

    def is_unavailable_problem(self) -> bool:
        return (
            self.status == 503 and self.content_type == PROBLEM and self.problem_type == "/problems/service-unavailable"
        )


@dataclass
class Traffic:
    """Threads that send a read (a GET, or a POST that changes nothing) through the gateway until stopped; every
    answer is recorded with its times."""

    url: str
    token: str
    body: dict[str, Any] | None = None
    threads: int = THREADS
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _send(self, client: httpx.Client) -> Answer:
        started = time.monotonic()
        try:
            response = client.get(self.url) if self.body is None else client.post(self.url, json=self.body)
        except httpx.HTTPError as exc:
            return Answer(started, time.monotonic(), error=type(exc).__name__)
        ended = time.monotonic()
        content_type = response.headers.get("content-type", "")
        body: dict[str, Any] = response.json() if content_type == PROBLEM else {}
        return Answer(
            started,
            ended,
            response.status_code,
            content_type,
            str(body.get("type", "")),
            str(body.get("detail", "")),
        )

    def _loop(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(headers=headers, timeout=CLIENT_TIMEOUT_SECONDS) as client:
            while not self._stop.is_set():
                answer = self._send(client)
                with self._lock:
                    self.answers.append(answer)
                if answer.status != 200:
                    time.sleep(0.05)  # a down service answers at once: do not spin

    @contextlib.contextmanager
    def running(self) -> Iterator[Traffic]:
        workers = [threading.Thread(target=self._loop, daemon=True) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self._stop.set()
            for worker in workers:
                worker.join(CLIENT_TIMEOUT_SECONDS + 5)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def wait_until(self, condition: Callable[[list[Answer]], bool], what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition(self.snapshot()):
            assert time.monotonic() < deadline, f"the traffic never showed {what}"
            time.sleep(0.05)


def _oks_since(moment: float, count: int) -> Callable[[list[Answer]], bool]:
    return lambda answers: sum(a.status == 200 and a.started > moment for a in answers) >= count


def _refusals_since(moment: float, count: int) -> Callable[[list[Answer]], bool]:
    return lambda answers: sum(a.status != 200 and a.started > moment for a in answers) >= count


def _restart(stack: Stack, name: str) -> None:
    stack.start(name)
    if name == "gateway":
        stack.wait_for(name, stack.gateway_ready, timeout=60)
    else:
        stack.wait_for(name, lambda: stack.service_serving(name), timeout=60)
        stack.wait_for("gateway", stack.system_ready, timeout=30)


def _readyz(stack: Stack) -> httpx.Response:
    return httpx.get(f"{stack.gateway_url}/readyz", timeout=CLIENT_TIMEOUT_SECONDS)


def _dependencies(stack: Stack) -> httpx.Response:
    return httpx.get(f"{stack.gateway_url}/dependencies", timeout=CLIENT_TIMEOUT_SECONDS)


def _traffic(stack: Stack, tokens: TokenSource, service: str) -> Traffic:
    path, body = READS[service]
    return Traffic(f"{stack.gateway_url}/api/v1{path}", tokens(READER), body=body)


# -- 4. a service killed during traffic ---------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_killed_during_traffic_is_503_problems_within_the_deadline_then_recovers(
    stack: Stack, tokens: TokenSource, api: ApiFactory, service: str
) -> None:
    traffic = _traffic(stack, tokens, service)
    try:
        with traffic.running():
            traffic.wait_until(_oks_since(0, 6), "answers before the crash")
            killed_at = time.monotonic()
            stack.kill(service)  # SIGKILL: no shutdown, connections reset
            traffic.wait_until(_refusals_since(killed_at, 6), "503s after the crash")

            # The gateway stays ready (it can serve the rest); /dependencies names the service that is away.
            assert _readyz(stack).status_code == 200
            depending = _dependencies(stack)
            assert depending.status_code == 503
            assert depending.headers["content-type"] == PROBLEM
            checks = depending.json()["checks"]
            assert checks[service] == "UNREACHABLE"
            assert service in depending.json()["detail"]
            assert all(checks[other] == "SERVING" for other in SERVICES if other != service)
            assert checks["keycloak_jwks"] == "ok"
            up = httpx.get(stack.gateway_metrics_url, timeout=CLIENT_TIMEOUT_SECONDS).text
            assert f'civicpool_dependency_up{{dependency="{service}"}} 0.0' in up
            other = next(s for s in SERVICES if s != service)
            path, body = READS[other]
            answer = api(READER).get(path) if body is None else api(READER).post(path, json=body)
            assert answer.status_code == 200  # the rest keeps working

            stack.start(service)
            stack.wait_for(service, lambda: stack.service_serving(service), timeout=60)
            back_at = time.monotonic()
            # The same gateway, not restarted: its channel reconnects by itself.
            traffic.wait_until(_oks_since(back_at, 6), "200s after the restart", seconds=15)
    finally:
        if not stack.is_running(service):
            stack.start(service)
        stack.wait_for(service, lambda: stack.service_serving(service), timeout=60)
    stack.wait_for("gateway", stack.system_ready, timeout=15)

    answers = traffic.snapshot()
    unexpected = [a for a in answers if a.status != 200 and not a.is_unavailable_problem()]
    assert unexpected == []  # no 500, no other status, no transport error, no timeout
    refused = [a for a in answers if a.status == 503]
    assert refused, "the crash was not seen"
    assert all(service in a.detail for a in refused)
    assert max(a.seconds for a in refused) < DEADLINE_SECONDS + SLACK_SECONDS


# -- 6. SIGTERM under load ---------------------------------------------------------------------------------


def _stop_under_load(stack: Stack, name: str, traffic: Traffic) -> tuple[float, float]:
    """SIGTERM `name` while the traffic runs; (when it was sent, when the process had exited)."""
    traffic.wait_until(_oks_since(0, 6), "answers before SIGTERM")
    sent_at = time.monotonic()
    stack.stop(name)  # SIGTERM to the process; returns once it has exited (SIGKILL after 15 s)
    exited_at = time.monotonic()
    said = "Application shutdown complete" if name == "gateway" else f"{name} service stopped"
    assert said in stack.log_tail(name, 10), "it did not stop gracefully"
    return sent_at, exited_at


def _assert_in_flight_finished(answers: list[Answer], sent_at: float) -> None:
    before = [a for a in answers if a.started < sent_at]
    assert [a for a in before if a.status != 200] == []  # nothing sent before SIGTERM fails
    assert any(a.in_flight_at(sent_at) for a in before), "no request was in flight when SIGTERM came"


@pytest.mark.parametrize("service", SERVICES)
def test_sigterm_to_a_service_under_load_finishes_the_calls_in_flight(
    stack: Stack, tokens: TokenSource, service: str
) -> None:
    traffic = _traffic(stack, tokens, service)
    try:
        with traffic.running():
            sent_at, exited_at = _stop_under_load(stack, service, traffic)
            traffic.wait_until(_refusals_since(exited_at, 3), "refusals once the service was gone")
    finally:
        _restart(stack, service)
    answers = traffic.snapshot()
    _assert_in_flight_finished(answers, sent_at)
    after = [a for a in answers if a.started >= sent_at]
    assert [a for a in after if a.status != 200 and not a.is_unavailable_problem()] == []
    assert all(a.seconds < DEADLINE_SECONDS + SLACK_SECONDS for a in after if a.status == 503)
    assert any(a.is_unavailable_problem() for a in after)


def test_sigterm_to_the_gateway_under_load_finishes_the_requests_in_flight(stack: Stack, tokens: TokenSource) -> None:
    traffic = Traffic(f"{stack.gateway_url}/api/v1/items", tokens(READER))
    try:
        with traffic.running():
            sent_at, exited_at = _stop_under_load(stack, "gateway", traffic)
            traffic.wait_until(_refusals_since(exited_at, 3), "refusals once the gateway was gone")
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{stack.gateway_url}/healthz", timeout=CLIENT_TIMEOUT_SECONDS)
    finally:
        _restart(stack, "gateway")
    answers = traffic.snapshot()
    _assert_in_flight_finished(answers, sent_at)
    # Later requests: answered, or refused without an answer (connection refused, or a kept-alive
    # connection the stopping server closed before reading from it); never a timeout, never a 5xx.
    after = [a for a in answers if a.started >= sent_at]
    no_answer = {"ConnectError", "RemoteProtocolError", "ReadError"}
    assert [a for a in after if a.status != 200 and a.error not in no_answer] == []
    assert any(a.error == "ConnectError" for a in after)


# -- 7. a service's database unavailable --------------------------------------------------------------------


def _wait_health(address: str, wanted: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while (current := status(address)) != wanted:
        assert time.monotonic() < deadline, f"health stayed {current}, never became {wanted}"
        time.sleep(0.2)


def _allow_connections(postgres: PostgresCluster, database: str, allowed: bool) -> None:
    with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))


def _item(sku: str) -> dict[str, Any]:
    return {"sku": sku, "name": f"Fault {sku}", "kind": "hardware", "cpv_code": "30213000-5", "unit": "Stück",
            "reference_price_cents": 99_900}  # fmt: skip


def test_while_the_database_is_down_the_gateway_answers_503_problems_and_nothing_is_written(
    stack: Stack, postgres: PostgresCluster, tokens: TokenSource, tmp_path: Path
) -> None:
    """A catalog on PostgreSQL with a gateway of its own in front: the database refuses connections, then returns."""
    database = "catalog_fault_probe"
    with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    catalog_address = f"127.0.0.1:{free_port()}"
    gateway_port = free_port()
    env = {
        **stack.environment(),
        "CIVICPOOL_CATALOG_PORT": catalog_address.rsplit(":", 1)[1],
        "CIVICPOOL_CATALOG_DATABASE_URL": postgres.url(database),
        "CIVICPOOL_CATALOG_HEALTH_INTERVAL_SECONDS": "0.3",
        "CIVICPOOL_GATEWAY_PORT": str(gateway_port),
        "CIVICPOOL_GATEWAY_METRICS_PORT": "0",  # the session's gateway has the stack's metrics port
        "CIVICPOOL_GATEWAY_CATALOG_ADDRESS": catalog_address,
    }
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    admin_headers = {"Authorization": f"Bearer {tokens('network.admin')}"}
    with (
        python_module("civicpool_catalog", env, tmp_path / "catalog.log") as catalog,
        python_module("civicpool_gateway", env, tmp_path / "gateway.log"),
        httpx.Client(base_url=f"{gateway_url}/api/v1", headers=admin_headers, timeout=CLIENT_TIMEOUT_SECONDS) as api,
    ):
        _wait_health(catalog_address, "SERVING", seconds=60)
        stack.wait_for("probe gateway", lambda: http_ok(f"{gateway_url}/dependencies"), timeout=60)
        created = api.post("/items", json=_item("BEFORE-1"))
        assert created.status_code == 201, created.text
        before = api.get("/items", params={"include_inactive": True}).json()
        try:
            _allow_connections(postgres, database, allowed=False)
            _wait_health(catalog_address, "NOT_SERVING")

            # Reads come from the gateway's replica of the catalog: the last revision it holds.
            assert api.get("/items", params={"include_inactive": True}).json() == before
            assert api.get(f"/items/{created.json()['id']}").json() == created.json()
            answers = {
                "create": api.post("/items", json=_item("DURING-1")),
                "update": api.patch(
                    f"/items/{created.json()['id']}", json={"name": "Changed"}, headers={"If-Match": '"1"'}
                ),
            }
            for what, answer in answers.items():
                assert answer.status_code == 503, f"{what}: {answer.status_code} {answer.text}"
                assert answer.headers["content-type"] == PROBLEM
                assert answer.json()["type"] == "/problems/service-unavailable", what
            depending = httpx.get(f"{gateway_url}/dependencies", timeout=CLIENT_TIMEOUT_SECONDS)
            assert depending.status_code == 503
            assert depending.json()["checks"]["catalog"] == "NOT_SERVING"
            assert http_ok(f"{gateway_url}/readyz")  # this gateway itself can still serve
        finally:
            _allow_connections(postgres, database, allowed=True)
        _wait_health(catalog_address, "SERVING")
        stack.wait_for("probe gateway", lambda: http_ok(f"{gateway_url}/dependencies"), timeout=30)
        assert api.get("/items", params={"include_inactive": True}).json() == before  # nothing written meanwhile
        assert api.post("/items", json=_item("AFTER-1")).status_code == 201  # and writes work again
        catalog.terminate()  # SIGTERM: a graceful stop
        assert catalog.wait(timeout=30) == 0
    assert "catalog service stopped" in (tmp_path / "catalog.log").read_text()


# -- 5. Keycloak stopped (last: its restart is the expensive one) ---------------------------------------------

USERS = {
    "bruchsal.it": "/items",
    "ettlingen.lead": "/rounds",
    "rastatt.finance": "/contracts",
    "network.admin": "/cities",
}


def _with_kid(token: str, kid: str) -> str:
    header, claims, signature = token.split(".")
    changed = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    changed["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    return f"{encoded}.{claims}.{signature}"


def test_with_keycloak_stopped_issued_tokens_work_and_a_new_sign_in_is_a_clear_503(
    stack: Stack, api: ApiFactory
) -> None:
    # Tokens the gateway and the services have never seen: they are verified with the cached keys,
    # not just found in the cache of verified tokens.
    fresh = {user: password_token(stack.keycloak.url, user, DEMO_PASSWORD) for user in USERS}
    portal = httpx.Client(base_url=f"{stack.gateway_url}/portal", timeout=CLIENT_TIMEOUT_SECONDS)
    started = portal.get("/login", params={"next": "/portal/"})  # a sign-in begun before Keycloak went away
    assert started.status_code == 303
    state = httpx.URL(started.headers["location"]).params["state"]
    # The cookie is `Secure`: a browser sends it to http://127.0.0.1, httpx would not; send it by hand.
    pending_login = {"Cookie": f"{LOGIN_COOKIE}={started.cookies[LOGIN_COOKIE]}"}
    stack.stop("keycloak")
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(stack.keycloak.url, timeout=5)

        for user, path in USERS.items():
            assert api(token=fresh[user]).get(path).status_code == 200, user
            assert api(token=fresh[user]).get("/me").json()["username"] == user

        # Ready: every token Keycloak issued can still be verified; its keys are known.
        ready = _readyz(stack)
        assert (ready.status_code, ready.json()["checks"]["keycloak_jwks"]) == (200, "ok")

        # A key id the gateway does not know cannot be checked now: 401 (never trusted, never a 500).
        unknown = api(token=_with_kid(fresh["bruchsal.it"], "rotated-while-down")).get("/me")
        assert unknown.status_code == 401
        assert unknown.headers["content-type"] == PROBLEM
        assert unknown.json()["type"] == "/problems/unauthenticated"
        assert "invalid_token" in unknown.headers["www-authenticate"]

        # The portal says so in words, in German by default, for a new sign-in and for one under way.
        for answer in (
            portal.get("/login", params={"next": "/portal/"}),
            portal.get("/callback", params={"code": "any", "state": state}, headers=pending_login),
        ):
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"].startswith("text/html")
            assert "Anmeldung zurzeit nicht möglich" in answer.text
            assert 'href="/portal/login"' in answer.text  # the way to try again
    finally:
        portal.close()
        stack.start("keycloak")
        stack.wait_for("keycloak", stack.keycloak_ready, timeout=240)
    # Back: its realm, users and keys were kept; sign-ins work again, old tokens still do.
    assert api(token=password_token(stack.keycloak.url, "bruchsal.it", DEMO_PASSWORD)).get("/me").status_code == 200
    assert api(token=fresh["network.admin"]).get("/cities").status_code == 200
    assert httpx.get(f"{stack.gateway_url}/portal/login", timeout=CLIENT_TIMEOUT_SECONDS).status_code == 303
    assert stack.gateway_ready()
