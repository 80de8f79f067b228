"""A real Keycloak, without containers: fetched once from Maven Central, cached, run with a suitable JDK."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicpool_common import service_identity
from civicpool_common.vocabulary import ID_PATTERN
from keycloak import KeycloakAdmin

from civicpool_cli.realm import (
    PORTAL_CLIENT,
    REALM,
    REALM_FILE,
    SERVICE_CLIENT_ROLES,
    USERS_FILE,
    portal_redirects,
)

KEYCLOAK_VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
REALM_DIR = Path(__file__).resolve().parents[3] / "deploy" / "keycloak"
# Keycloak 26.x runs on Java 17 (deprecated), 21 and 25 (since 26.6).
SUPPORTED_JAVA = (25, 21, 17)


class KeycloakError(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("CIVICPOOL_CACHE_DIR", Path.home() / ".cache" / "civicpool"))


def distribution(cache: Path | None = None) -> Path:
    """The unpacked Keycloak distribution, fetched with Maven and unpacked on first use."""
    cache = cache or cache_dir()
    home = cache / f"keycloak-{KEYCLOAK_VERSION}"
    if (home / "bin" / "kc.sh").exists():
        return home
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    if not archive.exists():
        if shutil.which("mvn") is None:
            raise KeycloakError("Maven (mvn) is needed once to fetch Keycloak; run `make setup` first")
        subprocess.run(
            ["mvn", "-B", "-q", f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={cache}"],
            check=True,
        )
    with tempfile.TemporaryDirectory(dir=cache) as unpacking:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(unpacking)
        for script in (Path(unpacking) / f"keycloak-{KEYCLOAK_VERSION}" / "bin").glob("*.sh"):
            script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        # Atomic: a half-unpacked distribution is never mistaken for a whole one.
        (Path(unpacking) / f"keycloak-{KEYCLOAK_VERSION}").rename(home)
    return home


def _java_major(java_home: Path) -> int | None:
    release = java_home / "release"
    if not release.exists():
        return None
    match = re.search(r'JAVA_VERSION="(\d+)', release.read_text())
    return int(match.group(1)) if match else None


def java_home() -> Path:
    """A JDK this Keycloak supports: CIVICPOOL_KEYCLOAK_JAVA_HOME, else the newest supported one found."""
    explicit = os.environ.get("CIVICPOOL_KEYCLOAK_JAVA_HOME")
    if explicit:
        return Path(explicit)
    candidates = [Path(p) for p in filter(None, [os.environ.get("JAVA_HOME")])]
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.exists():
        candidates += sorted(p for p in jvm_root.iterdir() if p.is_dir() and not p.is_symlink())
    by_version: dict[int, Path] = {}
    for candidate in candidates:
        major = _java_major(candidate)
        if major is not None and major in SUPPORTED_JAVA and (candidate / "bin" / "java").exists():
            by_version.setdefault(major, candidate)
    for major in SUPPORTED_JAVA:
        if major in by_version:
            return by_version[major]
    raise KeycloakError(f"no JDK {' / '.join(map(str, SUPPORTED_JAVA))} found; set CIVICPOOL_KEYCLOAK_JAVA_HOME")


@dataclass(frozen=True)
class KeycloakServer:
    """One Keycloak instance: its ports, its data folder, its admin credentials."""

    data_dir: Path  # this instance's database and admin credentials
    port: int = 8080
    management_port: int = 9000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}/health/ready"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}/metrics"

    def admin_password(self) -> str:
        """A random bootstrap-admin password per data folder (kept there, readable by the owner only)."""
        path = self.data_dir / "admin-password"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Created readable by the owner only from the first byte on.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as secret:
                secret.write(secrets.token_urlsafe(18))
        return path.read_text().strip()

    def service_secrets(self) -> dict[str, str]:
        """The client secret of each service (CIVICPOOL_<SERVICE>_CLIENT_SECRET -> secret), made once per
        data folder and kept there, readable by the owner only. The realm import gives Keycloak the same."""
        path = self.data_dir / "service-secrets.json"
        known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        wanted = [service_identity.secret_variable(s) for s in service_identity.IDENTITIES]
        if any(variable not in known for variable in wanted):  # a new data folder, or one older than an identity
            known = {variable: known.get(variable) or secrets.token_urlsafe(32) for variable in wanted}
            self.data_dir.mkdir(parents=True, exist_ok=True)
            written = path.with_suffix(".new")
            written.unlink(missing_ok=True)
            descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as secret_file:
                json.dump(known, secret_file)
            written.replace(path)
        return known

    def command(self, home: Path) -> list[str]:
        # Build-time options (db, cache, health) stay the same for every start, so
        # Keycloak's build is reused and a start takes ~20 s instead of ~50 s.
        return [
            str(home / "bin" / "kc.sh"),
            "start-dev",
            "--db=dev-file",
            f"--db-url=jdbc:h2:file:{self.data_dir / 'keycloakdb'};NON_KEYWORDS=VALUE",
            "--cache=local",
            "--health-enabled=true",
            "--metrics-enabled=true",  # counts its HTTP requests: proof that tokens are verified without it
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            "--http-management-host=127.0.0.1",
            f"--http-management-port={self.management_port}",
            f"--hostname={self.url}",
        ]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "JAVA_HOME": str(java_home()),
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password(),
            "JAVA_OPTS_KC_HEAP": "-XX:MaxRAMPercentage=25 -Xms64m -Xmx768m",
        }

    def admin(self) -> KeycloakAdmin:
        """An admin client (python-keycloak) signed in as the bootstrap admin."""
        return KeycloakAdmin(
            server_url=self.url,
            username="admin",
            password=self.admin_password(),
            realm_name="master",
            user_realm_name="master",
        )

    def import_realm(self, portal_origins: tuple[str, ...], *, demo_users: bool) -> None:
        """Create the realm from deploy/keycloak unless it exists; make sure the services' clients are
        there with this data folder's secrets (a realm made before them gets them); add the demo users."""
        realm = fill_placeholders(_read(REALM_FILE), self.service_secrets())
        for client in realm["clients"]:
            if client["clientId"] == PORTAL_CLIENT:
                client.update(portal_redirects(portal_origins))
        admin = self.admin()
        # Not create_realm(skip_exists=True): python-keycloak 7.1 raises TypeError on the 409.
        if REALM not in {existing["realm"] for existing in admin.get_realms()}:
            admin.create_realm(payload=realm)
        _ensure_service_clients(admin, realm)
        if demo_users:
            users = _read(USERS_FILE)["users"]
            admin.partial_import_realm(REALM, {"ifResourceExists": "SKIP", "users": users})


def add_city_group(admin: KeycloakAdmin, city_id: str, name: str) -> bool:
    """Onboard a member city in Keycloak: the group /cities/<id> whose members get the `city` claim.

    True when created, False when it existed. Users are added to the group (and
    given the `city` attribute) by the city's administrator in Keycloak.
    """
    if re.fullmatch(ID_PATTERN, city_id) is None:
        raise KeycloakError(f"{city_id!r} is not a city id (lower-case letters, digits, hyphens)")
    admin.change_current_realm(REALM)
    parent = admin.get_group_by_path("/cities")
    existing = {child["name"] for child in admin.get_group_children(parent["id"])}
    if city_id in existing:
        return False
    admin.create_group(
        {"name": city_id, "attributes": {"city": [city_id], "display_name": [name]}}, parent=parent["id"]
    )
    return True


def _ensure_service_clients(admin: KeycloakAdmin, realm: dict[str, Any]) -> None:
    """The services' roles and clients exist, each client has the secret given, its service account its role."""
    admin.change_current_realm(REALM)
    roles = {role["name"] for role in admin.get_realm_roles()}
    for role in realm["roles"]["realm"]:
        if role["name"] not in roles:
            admin.create_realm_role(role)
    for service in service_identity.IDENTITIES:
        client = next(c for c in realm["clients"] if c["clientId"] == service_identity.client_id(service))
        client_uuid = admin.get_client_id(client["clientId"])
        if client_uuid is None:
            client_uuid = admin.create_client(client)
        else:
            admin.update_client(client_uuid, {"secret": client["secret"]})
        account = admin.get_client_service_account_user(client_uuid)
        admin.assign_realm_roles(account["id"], [admin.get_realm_role(service_identity.role(service))])
        for other, names in SERVICE_CLIENT_ROLES.get(service, {}).items():
            other_uuid = admin.get_client_id(other)
            assert other_uuid is not None, f"Keycloak's client {other} is missing"
            granted = [admin.get_client_role(other_uuid, name) for name in names]
            admin.assign_client_role(account["id"], other_uuid, granted)


PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def fill_placeholders(document: Any, values: dict[str, str]) -> Any:
    """The realm with each ${NAME} replaced by values[NAME], as Keycloak's --import-realm does from its
    environment; a placeholder without a value is an error (it would become a guessable secret)."""
    if isinstance(document, dict):
        return {key: fill_placeholders(value, values) for key, value in document.items()}
    if isinstance(document, list):
        return [fill_placeholders(value, values) for value in document]
    if not isinstance(document, str):
        return document

    def value(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeycloakError(f"the realm file needs {match[1]}, which is not set")
        return values[match[1]]

    return PLACEHOLDER.sub(value, document)


def _read(name: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads((REALM_DIR / name).read_text(encoding="utf-8"))
    return content
