"""The `civicpool` command for operators and developers."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from civicpool_common.service_identity import SERVICES
from civicpool_common.settings import RuntimeSettings
from keycloak import KeycloakAdmin
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from civicpool_cli import demo_clock, importer, keycloak
from civicpool_cli.carry_over import carry_over_in
from civicpool_cli.databases import checked_server_url, service_database_urls
from civicpool_cli.demo import (
    CITIES,
    CITY_ROLES,
    DEMO_PASSWORD,
    NETWORK_ADMIN_USER,
    VENDORS,
    vendor_user,
)
from civicpool_cli.demo_loader import load_demo
from civicpool_cli.stack import Ports, Stack, StackError
from civicpool_cli.tokens import SignInError, password_token

app = typer.Typer(help="civicpool: joint IT procurement for a network of municipalities.", no_args_is_help=True)
keycloak_app = typer.Typer(help="The local Keycloak distribution.")
app.add_typer(keycloak_app, name="keycloak")

DataDir = Annotated[Path, typer.Option(envvar="CIVICPOOL_DATA_DIR", help="Folder for databases and logs")]
KeycloakUrl = Annotated[str, typer.Option(envvar="CIVICPOOL_KEYCLOAK_URL", help="Keycloak base URL")]


def _say(message: str) -> None:
    typer.echo(f"  {message}", err=True)


def _refuse_in_production(what: str) -> None:
    if not RuntimeSettings().is_local:
        typer.echo(f"{what} is for local use with demo data; CIVICPOOL_ENV is production.", err=True)
        raise typer.Exit(2)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@app.command()
def up(
    data_dir: DataDir = Path("data"),
    demo: bool = typer.Option(True, help="Load the demo network"),
    database: Annotated[
        str | None,
        typer.Option(
            envvar="CIVICPOOL_DATABASE",
            help="A PostgreSQL server (postgresql://user:password@host:port): one database per service, "
            "made when missing. Default: SQLite files in the data folder.",
        ),
    ] = None,
) -> None:
    """Start Keycloak, the four services and the gateway locally, with demo data; Ctrl-C stops all."""
    _refuse_in_production("`civicpool up`")
    try:  # what the command line says is checked before anything about this machine
        if database:
            checked_server_url(database)
    except ValueError as error:
        typer.echo(f"civicpool could not use the database server: {error}", err=True)
        raise typer.Exit(1) from None
    ports = Ports()
    busy = [f"{name} {port}" for name, port in vars(ports).items() if _port_in_use(port)]
    if busy:
        typer.echo(f"ports in use: {', '.join(busy)}. Is civicpool already running?", err=True)
        raise typer.Exit(1)
    try:
        databases = service_database_urls(database) if database else {}
    except (ValueError, psycopg.Error) as error:
        typer.echo(f"civicpool could not use the database server: {error}", err=True)
        raise typer.Exit(1) from None
    stack = Stack(data_dir, ports, extra_env=databases)
    # SIGTERM (a service manager, `timeout`, `kill`) stops the children like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    typer.echo(f"Starting civicpool (data and logs in {stack.data_dir}) ...", err=True)
    try:
        stack.up(_say, demo_users=demo)
        if demo:
            # the demo's standstill ends early only in the SQLite files of the data folder, not on a server
            ended = (lambda _: False) if database else functools.partial(demo_clock.end_standstill, stack.data_dir)
            _say(f"demo network: {load_demo(stack.gateway_url, _demo_tokens(stack.keycloak.url), _say, ended)}")
        typer.echo(_welcome(stack, time.monotonic() - started, demo))
        while all(stack.is_running(name) for name in ("keycloak", *SERVICES, "gateway")):
            time.sleep(1)
        dead = [name for name in ("keycloak", *SERVICES, "gateway") if not stack.is_running(name)]
        typer.echo(f"{', '.join(dead)} stopped unexpectedly; see {stack.log_dir}. Stopping the rest.", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("\nStopping civicpool ...", err=True)
    except (StackError, SignInError, keycloak.KeycloakError) as error:
        typer.echo(f"civicpool could not start: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        stack.stop_all()
        typer.echo("Stopped.", err=True)


def _welcome(stack: Stack, seconds: float, demo: bool) -> str:
    lines = [
        "",
        f"civicpool is ready ({seconds:.0f} s). Ctrl-C stops everything.",
        "",
        f"  Portal         {stack.gateway_url}/portal/   (sign in as a demo user below)",
        f"  API            {stack.gateway_url}/api/v1   (docs: {stack.gateway_url}/docs)",
        f"  OpenAPI        {stack.gateway_url}/openapi.json",
        f"  Keycloak       {stack.keycloak.url}  (realm civicpool; admin console user 'admin', "
        f"password in {stack.keycloak.data_dir / 'admin-password'})",
        f"  Logs           {stack.log_dir}",
    ]
    if demo:
        examples = ", ".join(f"{CITIES[2].id}.{suffix}" for suffix, _, _ in CITY_ROLES)
        lines += [
            "",
            f"  Demo users (password '{DEMO_PASSWORD}'): <city>.it | <city>.lead | <city>.finance, e.g. {examples};",
            f"    {NETWORK_ADMIN_USER}; {', '.join(vendor_user(v) for v in VENDORS)}",
            f"    cities: {', '.join(c.id for c in CITIES)}",
            "",
            "  Try:",
            f'    curl -H "Authorization: Bearer $(civicpool token bruchsal.it)" {stack.gateway_url}/api/v1/items',
        ]
    return "\n".join(lines)


@app.command()
def migrate(data_dir: DataDir = Path("data")) -> None:
    """Bring every service's database schema up to date, and move data a release moved to another service (the
    tender tables into the tenders database): production runs this before starting."""
    env_note = {"CIVICPOOL_DATA_DIR": str(data_dir.resolve())}
    for service in SERVICES:
        typer.echo(f"migrating {service} ...", err=True)
        result = subprocess.run(
            [sys.executable, "-m", f"civicpool_{service}", "migrate"], env={**os.environ, **env_note}, check=False
        )
        if result.returncode != 0:
            raise typer.Exit(result.returncode)
    carry_over_in(data_dir, os.environ, lambda line: typer.echo(line, err=True))


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="e.g. bruchsal.it")],
    password: Annotated[str | None, typer.Option(help="Defaults to the demo password locally")] = None,
    keycloak_url: KeycloakUrl = "http://127.0.0.1:8080",
) -> None:
    """Print an access token for USERNAME (for curl: -H "Authorization: Bearer $(civicpool token bruchsal.it)")."""
    if password is None:
        password = DEMO_PASSWORD if RuntimeSettings().is_local else typer.prompt("password", hide_input=True)
    try:
        typer.echo(password_token(keycloak_url, username, password))
    except SignInError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


@app.command("import")
def import_demand(
    round_id: Annotated[str, typer.Argument(help="The demand round's id")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The filled-in template (.csv or .xlsx)")],
    username: Annotated[str, typer.Option("--as", help="Your user, e.g. bruchsal.it")],
    mode: Annotated[str, typer.Option(help="add, or replace your city's lines")] = "add",
    password: Annotated[str | None, typer.Option(help="Defaults to the demo password locally")] = None,
    gateway_url: Annotated[str, typer.Option(envvar="CIVICPOOL_GATEWAY_URL")] = "http://127.0.0.1:8000",
    keycloak_url: KeycloakUrl = "http://127.0.0.1:8080",
) -> None:
    """Import a city's demand from a spreadsheet: every row checked, all rows or none."""
    if mode not in ("add", "replace"):
        raise typer.BadParameter("add or replace", param_hint="--mode")
    if password is None:
        password = DEMO_PASSWORD if RuntimeSettings().is_local else typer.prompt("password", hide_input=True)
    try:
        access_token = password_token(keycloak_url, username, password)
    except SignInError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), transient=True, console=Console(stderr=True)
    ) as progress:
        task = progress.add_task(f"uploading {file.name}", total=file.stat().st_size)

        def advance(sent: int) -> None:
            progress.update(task, advance=sent)
            if progress.tasks[task].finished:
                progress.update(task, description="checking every row ...")

        response = importer.upload(gateway_url, access_token, round_id, file, mode, advance)
    imported, lines = importer.describe(response)
    typer.echo("\n".join(lines), err=not imported)
    if not imported:
        raise typer.Exit(1)


@app.command("check-invoice")
def check_invoice(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="XRechnung or EN 16931 XML files")],
) -> None:
    """Check e-invoices by the official EN 16931 and XRechnung rules, as civicpool will on upload: each finding with
    its rule id, severity and location. Exits 1 when one is not accepted."""
    from civicpool_einvoice.validation import Refused, Validator

    validator, rejected = Validator(), 0
    for file in files:
        try:
            report = validator.validate(file.read_bytes())
        except Refused as refused:
            typer.echo(f"{file}: refused: {refused.reason}")
            rejected += 1
            continue
        verdict = "accepted" if report.accepted else "not accepted"
        typer.echo(f"{file}: {verdict} ({report.scenario or 'no scenario applies to ' + repr(report.specification)})")
        for finding in report.findings:
            typer.echo(f"  {finding.severity:<11} {finding.rule_id:<14} {finding.rules}: {finding.text}")
            typer.echo(f"  {'':<11} {'':<14} at {finding.location}")
        rejected += not report.accepted
    raise typer.Exit(1 if rejected else 0)


@app.command("demo-load")
def demo_load(
    gateway_url: Annotated[str, typer.Option(envvar="CIVICPOOL_GATEWAY_URL")] = "http://127.0.0.1:8000",
    keycloak_url: KeycloakUrl = "http://127.0.0.1:8080",
) -> None:
    """Load the demo network into a running system (skips what exists)."""
    _refuse_in_production("demo data")
    typer.echo(f"demo network: {load_demo(gateway_url, _demo_tokens(keycloak_url), _say)}")


def _demo_tokens(keycloak_url: str) -> Callable[[str], str]:
    return lambda username: password_token(keycloak_url, username, DEMO_PASSWORD)


@keycloak_app.command("add-city")
def keycloak_add_city(
    city_id: Annotated[str, typer.Argument(help="The city's id in the catalog, e.g. lahr")],
    name: Annotated[str, typer.Option(help="Display name, e.g. 'Lahr/Schwarzwald'")],
    data_dir: DataDir = Path("data"),
    keycloak_url: KeycloakUrl = "http://127.0.0.1:8080",
    admin_password: Annotated[
        str | None, typer.Option(envvar="CIVICPOOL_KEYCLOAK_ADMIN_PASSWORD", help="Default: the local one")
    ] = None,
) -> None:
    """Onboard a new member city in Keycloak (its group and `city` claim); add it to the catalog via the API."""
    if admin_password is None:
        local = data_dir.resolve() / "keycloak" / "admin-password"
        if not local.exists():
            typer.echo(f"no local Keycloak admin password in {local}; pass --admin-password", err=True)
            raise typer.Exit(1)
        admin_password = local.read_text().strip()
    admin = KeycloakAdmin(
        server_url=keycloak_url,
        username="admin",
        password=admin_password,
        realm_name="master",
        user_realm_name="master",
    )
    try:
        created = keycloak.add_city_group(admin, city_id, name)
    except keycloak.KeycloakError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"group /cities/{city_id} {'created' if created else 'already exists'}")


@keycloak_app.command("fetch")
def keycloak_fetch() -> None:
    """Fetch and unpack the Keycloak distribution into the cache (once)."""
    home = keycloak.distribution()
    typer.echo(f"Keycloak {keycloak.KEYCLOAK_VERSION} in {home}, Java from {keycloak.java_home()}")


if __name__ == "__main__":
    app()
