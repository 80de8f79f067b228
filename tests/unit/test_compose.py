"""docker-compose.yml is valid without a Docker engine.

It is checked against the official Compose Specification schema (taken from
compose-go, the loader behind `docker compose config`, via the Go module
proxy and cached), and against our own settings: every CIVICPOOL_* variable
must be one the processes read, and every address must point to a service.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from civicpool_cli.keycloak import cache_dir
from civicpool_common import service_identity

from tests.support.settings import ALSO, SETTINGS, known_variables

COMPOSE_GO = "v2.16.2"
SCHEMA_URL = f"https://proxy.golang.org/github.com/compose-spec/compose-go/v2/@v/{COMPOSE_GO}.zip"
ENV = {"POSTGRES_PASSWORD": "secret", "KEYCLOAK_ADMIN_PASSWORD": "secret", "SMTP_HOST": "smtp.example.org"} | {
    f"{service.upper()}_CLIENT_SECRET": f"secret-of-{service}" for service in service_identity.IDENTITIES
}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def _schema() -> dict[str, Any]:
    cached = cache_dir() / f"compose-spec-{COMPOSE_GO}.json"
    if not cached.exists():
        archive = httpx.get(SCHEMA_URL, timeout=60, follow_redirects=True)
        archive.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(archive.content)) as module:
            schema = module.read(f"github.com/compose-spec/compose-go/v2@{COMPOSE_GO}/schema/compose-spec.json")
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(schema)
    loaded: dict[str, Any] = json.loads(cached.read_text())
    return loaded


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in env:
            return env[name]
        if op == ":-":
            return str(arg)
        if op == ":?":
            raise ValueError(f"{name}: {arg}")
        return ""

    return VARIABLE.sub(replace, value)


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    raw = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    project: dict[str, Any] = _interpolate(raw, ENV)
    return project


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(_schema()).validate(compose)


def test_secrets_have_no_defaults(repo_root: Path) -> None:
    raw = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        _interpolate(raw, {})


def test_dependencies_exist_and_health_conditions_have_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no health check"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_variable_is_read_by_the_process(compose: dict[str, Any], name: str) -> None:
    env = {k: str(v) for k, v in compose["services"][name]["environment"].items()}
    known = known_variables(name)
    assert set(env) <= known, f"unknown variables: {set(env) - known}"
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        settings = SETTINGS[name]()
        for also in ALSO.get(name, ()):
            also()  # it accepts the values too
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert getattr(settings, "host") == "0.0.0.0"  # noqa: B009, S104 - containers listen on their network


def test_the_gateway_reaches_each_service_on_its_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway = services["gateway"]["environment"]
    for name in service_identity.SERVICES:
        target = gateway[f"CIVICPOOL_GATEWAY_{name.upper()}_ADDRESS"]
        assert target.startswith("dns:///")  # every replica of a scaled service, round robin
        host, port = target.removeprefix("dns:///").split(":")
        assert host == name
        assert services[name]["environment"][f"CIVICPOOL_{name.upper()}_PORT"] == port
        assert port in services[name]["healthcheck"]["test"][-1]


@pytest.mark.parametrize(
    "mistake",
    [{"comand": ["python"]}, {"ports": "8000:8000"}, {"depends_on": {"postgres": {"condition": "when-ready"}}}],
)
def test_the_schema_catches_typical_mistakes(compose: dict[str, Any], mistake: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["catalog"].update(mistake)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(_schema()).validate(broken)


def test_each_service_and_keycloak_get_the_services_own_client_secrets(
    compose: dict[str, Any], repo_root: Path
) -> None:
    """Keycloak's realm import fills the clients' secrets from its environment; each service gets its own only."""
    realm = (repo_root / "deploy" / "keycloak" / "civicpool-realm.json").read_text()
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", realm))
    variables = {service_identity.secret_variable(s) for s in service_identity.IDENTITIES}
    assert placeholders == variables
    services = compose["services"]
    assert {name: services["keycloak"]["environment"][name] for name in variables} == {
        service_identity.secret_variable(s): f"secret-of-{s}" for s in service_identity.IDENTITIES
    }
    for service in service_identity.IDENTITIES:  # each its own secret, none another's
        secrets = {k: v for k, v in services[service]["environment"].items() if k.endswith("_CLIENT_SECRET")}
        assert secrets == {service_identity.secret_variable(service): f"secret-of-{service}"}


def test_the_notifications_service_gets_the_smtp_settings(compose: dict[str, Any], repo_root: Path) -> None:
    """SMTP host, port, STARTTLS, login and sender for production; the host must be named, the password has no
    default; the services that report events (demand, tenders, contracts) reach the notifications service."""
    environment = compose["services"]["notifications"]["environment"]
    prefix = "CIVICPOOL_NOTIFICATIONS_"
    assert environment[f"{prefix}SMTP_HOST"] == "smtp.example.org"
    assert (environment[f"{prefix}SMTP_PORT"], environment[f"{prefix}SMTP_STARTTLS"]) == ("587", "true")
    assert {f"{prefix}SMTP_USERNAME", f"{prefix}SMTP_PASSWORD", f"{prefix}FROM_ADDRESS"} <= set(environment)
    assert environment[f"{prefix}DATABASE_URL"].endswith("@postgres:5432/notifications")
    raw = (repo_root / "docker-compose.yml").read_text()
    assert "${SMTP_PASSWORD:-}" in raw  # no password in the file, empty unless given
    assert "CREATE DATABASE notifications;" in (repo_root / "deploy" / "postgres" / "init.sql").read_text()
    for service in ("demand", "tenders", "contracts"):
        reporter = compose["services"][service]["environment"]
        assert reporter[f"CIVICPOOL_{service.upper()}_NOTIFICATIONS_ADDRESS"] == "dns:///notifications:50055"
    with pytest.raises(ValueError, match="SMTP_HOST"):
        _interpolate(yaml.safe_load(raw), {k: v for k, v in ENV.items() if k != "SMTP_HOST"})
