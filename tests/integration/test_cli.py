"""The civicpool command against the running system."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import httpx
import pytest
from civicpool_cli.databases import service_database_urls
from civicpool_cli.main import app
from civicpool_cli.stack import Stack
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from tests.support.postgres import PostgresCluster

runner = CliRunner()


def test_token_prints_an_access_token_the_gateway_accepts(stack: Stack) -> None:
    result = runner.invoke(app, ["token", "bruchsal.it", "--keycloak-url", stack.keycloak.url])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    me = httpx.get(f"{stack.gateway_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["city"] == "bruchsal"


def test_token_with_a_wrong_password_says_so(stack: Stack) -> None:
    result = runner.invoke(app, ["token", "bruchsal.it", "--password", "wrong", "--keycloak-url", stack.keycloak.url])
    assert result.exit_code == 1
    assert "refused bruchsal.it" in result.output


def test_loading_the_demo_twice_changes_nothing(stack: Stack) -> None:
    result = runner.invoke(app, ["demo-load", "--gateway-url", stack.gateway_url, "--keycloak-url", stack.keycloak.url])
    assert result.exit_code == 0, result.output
    assert "0 created, 34 already there" in result.output  # each catalog record, and the round, tenders, usage


def test_migrate_builds_every_service_schema(tmp_path: Path) -> None:
    result = runner.invoke(app, ["migrate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    tables = {}
    for service in ("catalog", "demand", "tenders", "contracts"):
        engine = create_engine(f"sqlite:///{tmp_path / f'{service}.db'}")
        tables[service] = set(inspect(engine).get_table_names())
        engine.dispose()
    for service, table in (("catalog", "items"), ("demand", "rounds"), ("tenders", "tenders"),
                           ("contracts", "contracts")):  # fmt: skip
        assert table in tables[service], service
    assert not {"tenders", "lots", "bids"} & tables["contracts"]  # the tender tables live with the tenders service


@pytest.mark.parametrize("command", [["up"], ["demo-load"]])
def test_demo_commands_are_refused_in_production(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICPOOL_ENV", "production")
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert "production" in result.output


def test_onboarding_a_city_creates_its_keycloak_group_once(stack: Stack) -> None:
    command = ["keycloak", "add-city", "lahr", "--name", "Lahr/Schwarzwald", "--data-dir", str(stack.data_dir),
               "--keycloak-url", stack.keycloak.url]  # fmt: skip
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "group /cities/lahr created" in first.output
    assert "already exists" in runner.invoke(app, command).output
    admin = stack.keycloak.admin()
    admin.change_current_realm("civicpool")
    group = admin.get_group_by_path("/cities/lahr")
    assert group["attributes"] == {"city": ["lahr"], "display_name": ["Lahr/Schwarzwald"]}


def test_onboarding_refuses_a_bad_city_id(stack: Stack) -> None:
    result = runner.invoke(app, ["keycloak", "add-city", "Lahr", "--name", "Lahr", "--data-dir", str(stack.data_dir),
                                 "--keycloak-url", stack.keycloak.url])  # fmt: skip
    assert result.exit_code == 1
    assert "not a city id" in result.output


def test_starting_again_on_the_same_data_keeps_the_realm_and_users(stack: Stack) -> None:
    """`make run` a second time: the realm and the demo users exist already."""
    stack.keycloak.import_realm((stack.gateway_url,), demo_users=True)
    result = runner.invoke(app, ["token", "rastatt.lead", "--keycloak-url", stack.keycloak.url])
    assert result.exit_code == 0, result.output


def test_the_local_keycloak_admin_password_is_private(stack: Stack) -> None:
    mode = (stack.keycloak.data_dir / "admin-password").stat().st_mode & 0o777
    assert mode == 0o600


def test_the_services_get_one_database_each_on_a_postgresql_server(
    postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`civicpool up --database postgresql://...`: the databases are made, then migrated like SQLite ones."""
    server = f"postgresql://{postgres.user}@127.0.0.1:{postgres.port}"
    urls = service_database_urls(server)
    assert urls == {f"CIVICPOOL_{s.upper()}_DATABASE_URL": f"{server}/{s}"
                    for s in ("catalog", "demand", "tenders", "contracts", "notifications")}  # fmt: skip
    assert service_database_urls(f"{server}/ignored") == urls  # again: nothing to make
    for name, url in urls.items():
        monkeypatch.setenv(name, url)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    for url in urls.values():
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            assert "alembic_version" in inspect(engine).get_table_names()
        finally:
            engine.dispose()


def test_a_wrong_database_url_is_told_whatever_runs_on_the_default_ports() -> None:
    """Tests never depend on the default ports: here they are taken on purpose, as by a running civicpool."""
    held = []
    for port in (8000, 8080, 50051):
        probe = socket.socket()
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # taken already: by something else, which is the point too
            probe.bind(("127.0.0.1", port))
            probe.listen()
        held.append(probe)
    try:
        refused = CliRunner().invoke(app, ["up", "--database", "mysql://somewhere"])
    finally:
        for probe in held:
            probe.close()
    assert refused.exit_code == 1 and "not a PostgreSQL server URL" in refused.output
