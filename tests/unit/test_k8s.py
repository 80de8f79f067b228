"""deploy/k8s is valid Kubernetes (offline, strict, by kubernetes-validate) and matches the real processes.

Every command is a module that exists, every CIVICPOOL_* variable is one the
process reads, every address names a Service on its port, and the probes ask
the gRPC health service or the gateway's /readyz and /healthz.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import kubernetes_validate
import pytest
import yaml
from civicpool_gateway.main import create_app

from tests.support.settings import SETTINGS, known_variables

KUBERNETES = "1.30.0"  # the oldest version we promise (gRPC probes are GA since 1.27)


@pytest.fixture(scope="module")
def k8s_dir(repo_root: Path) -> Path:
    return repo_root / "deploy" / "k8s"


@pytest.fixture(scope="module")
def resources(k8s_dir: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(k8s_dir.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]  # fmt: skip


def _of(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def test_every_manifest_is_valid_kubernetes(resources: list[dict[str, Any]]) -> None:
    assert len(resources) >= 10
    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_a_typo_is_caught(resources: list[dict[str, Any]]) -> None:
    broken = {**_of(resources, "Service")["gateway"], "spec": {"selectr": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_kustomization_applies_every_manifest_but_the_secret_example(k8s_dir: Path) -> None:
    listed = set(yaml.safe_load((k8s_dir / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in k8s_dir.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == present


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_deployment_runs_a_real_module_with_known_settings(resources: list[dict[str, Any]], name: str) -> None:
    container = _of(resources, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
    command = container["command"]
    assert command[:2] == ["python", "-m"] and importlib.util.find_spec(command[2]) is not None
    config = _of(resources, "ConfigMap")["civicpool"]["data"]  # shared by all: each variable is someone's
    everyone = set().union(*(known_variables(process) for process in SETTINGS))
    assert set(config) <= everyone, set(config) - everyone
    secrets = [ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref]
    assert secrets == [f"civicpool-{name}"]
    if name == "gateway":  # no database: its client secret only (it reads the catalog's change feed)
        assert _of(resources, "Secret")["civicpool-gateway"]["stringData"] == {"CIVICPOOL_GATEWAY_CLIENT_SECRET": ANY}
    else:  # a service reads its own Secret only: its database URL and its client secret (+ the SMTP password)
        secret = _of(resources, "Secret")[f"civicpool-{name}"]["stringData"]
        extra = {"CIVICPOOL_NOTIFICATIONS_SMTP_PASSWORD"} if name == "notifications" else set()
        assert (
            set(secret) == {f"CIVICPOOL_{name.upper()}_DATABASE_URL", f"CIVICPOOL_{name.upper()}_CLIENT_SECRET"} | extra
        )
        assert set(secret) <= known_variables(name)
    own = {e["name"] for e in container.get("env", [])}
    assert own <= known_variables(name), own - known_variables(name)
    assert config[f"CIVICPOOL_{name.upper()}_HOST"] == "0.0.0.0"  # noqa: S104 - pods listen on their network
    assert container["securityContext"]["readOnlyRootFilesystem"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])


@pytest.mark.parametrize(
    ("name", "port"), [("catalog", 50051), ("demand", 50052), ("contracts", 50053), ("tenders", 50054)]
)
def test_services_listen_where_they_are_called_and_probe_grpc_health(
    resources: list[dict[str, Any]], name: str, port: int
) -> None:
    container = _of(resources, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": f"CIVICPOOL_{name.upper()}_PORT", "value": str(port)} in container["env"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["grpc"] == port
    metrics = next(e["value"] for e in container["env"] if e["name"] == f"CIVICPOOL_{name.upper()}_METRICS_PORT")
    assert int(metrics) == ports["metrics"]
    assert container["readinessProbe"]["grpc"]["port"] == port == container["livenessProbe"]["grpc"]["port"]
    service = _of(resources, "Service")[name]["spec"]
    assert service["ports"][0]["port"] == port
    # Headless, and called by dns:/// with round robin: every replica gets calls (no pinned connection).
    assert service["clusterIP"] == "None"
    addresses = [v for k, v in _of(resources, "ConfigMap")["civicpool"]["data"].items()
                 if k.endswith(f"_{name.upper()}_ADDRESS")]  # fmt: skip
    assert addresses and set(addresses) == {f"dns:///{name}:{port}"}


def test_gateway_probes_are_real_routes(resources: list[dict[str, Any]]) -> None:
    container = _of(resources, "Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    paths = set(create_app().openapi()["paths"])
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
    assert "/dependencies" in paths  # the services' state, for monitoring; never a probe
    probes = [container[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe", "startupProbe")
              if p in container]  # fmt: skip
    assert "/dependencies" not in probes


def test_every_channel_spreads_reads_over_replicas_and_retries_them() -> None:
    """The service config of every channel: round robin, and retries for exactly the NO_SIDE_EFFECTS methods."""
    from civicpool.catalog.v1 import catalog_pb2
    from civicpool_common.grpc_client import service_config

    config = service_config("civicpool.catalog.v1.CatalogService")
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    retried = {entry["method"] for entry in config["methodConfig"][0]["name"]}
    service = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
    assert retried == {m.name for m in service.methods if m.name.startswith(("Get", "List", "BatchGet", "Split",
                                                                             "Resolve", "Find", "Watch"))}  # fmt: skip
    assert "CreateItem" not in retried and config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"] == [
        "UNAVAILABLE"
    ]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_metrics_are_scraped_from_the_pod_and_never_offered_by_a_service(
    resources: list[dict[str, Any]], name: str
) -> None:
    template = _of(resources, "Deployment")[name]["spec"]["template"]
    container = template["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    metrics = next(e["value"] for e in container["env"] if e["name"] == f"CIVICPOOL_{name.upper()}_METRICS_PORT")
    assert int(metrics) == ports["metrics"] == int(template["metadata"]["annotations"]["prometheus.io/port"])
    offered = {p["targetPort"] for p in _of(resources, "Service")[name]["spec"]["ports"]}
    assert "metrics" not in offered and ports["metrics"] not in offered


def test_smtp_settings_are_configured_and_the_password_is_a_secret(resources: list[dict[str, Any]]) -> None:
    config = _of(resources, "ConfigMap")["civicpool"]["data"]
    prefix = "CIVICPOOL_NOTIFICATIONS_"
    assert {f"{prefix}SMTP_HOST", f"{prefix}SMTP_PORT", f"{prefix}SMTP_STARTTLS", f"{prefix}SMTP_USERNAME",
            f"{prefix}FROM_ADDRESS"} <= set(config)  # fmt: skip
    assert f"{prefix}SMTP_PASSWORD" not in config
    assert f"{prefix}SMTP_PASSWORD" in _of(resources, "Secret")["civicpool-notifications"]["stringData"]
    for service in ("DEMAND", "TENDERS", "CONTRACTS"):  # the services that report events
        assert config[f"CIVICPOOL_{service}_NOTIFICATIONS_ADDRESS"] == "dns:///notifications:50055"
