"""Regenerate every generated file from its source, or check that none is stale.

    python scripts/generate.py          # rewrite the generated files
    python scripts/generate.py --check  # exit 1 and name the stale files

Generated here: the Python gRPC code and type stubs from proto/, the Keycloak
realm files from the demo network, openapi.json from the gateway app, the
Python SDK (clients/python) from openapi.json with openapi-generator-cli, and the
XRechnung rules compiled to XSLT from their official schematron sources.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc_tools

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PROTO_OUT = ROOT / "libs" / "protos" / "src"
KEYCLOAK_DIR = ROOT / "deploy" / "keycloak"
OPENAPI_FILE = ROOT / "openapi.json"
SDK_DIR = ROOT / "clients" / "python"
SDK_IGNORE = ".openapi-generator-ignore"  # hand-written: what the generator leaves out
EINVOICE_RULES = ROOT / "libs" / "einvoice" / "src" / "civicpool_einvoice" / "compiled"
BIN = Path(sys.executable).parent


def generate_protos(out: Path) -> None:
    out = out.resolve()
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{PROTO_DIR}",
            f"-I{well_known}",
            f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
            f"--python_out={out}",
            f"--mypy_out={out}",
            f"--grpc_python_out={out}",
            f"--mypy_grpc_out={out}",
            *protos,
        ],
        check=True,
        cwd=PROTO_DIR,
    )
    for package_dir in [out / "civicpool", *(p for p in (out / "civicpool").rglob("*") if p.is_dir())]:
        (package_dir / "__init__.py").touch()
    (out / "civicpool" / "py.typed").touch()


def generate_realm(out: Path) -> None:
    from civicpool_cli.realm import write_realm_files

    write_realm_files(out)


def generate_openapi(out_file: Path) -> None:
    from civicpool_gateway.openapi import write_openapi

    write_openapi(out_file)


def generate_sdk(openapi_file: Path, out: Path) -> None:
    """The Python SDK, by openapi-generator-cli (its PyPI package bundles the generator; it runs on Java)."""
    from civicpool_cli.keycloak import java_home

    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SDK_DIR / SDK_IGNORE, out / SDK_IGNORE)
    generated = subprocess.run(
        [
            str(BIN / "openapi-generator-cli"),
            "generate",
            "--input-spec", str(openapi_file),
            "--generator-name", "python",
            "--output", str(out),
            "--package-name", "civicpool_client",
            "--additional-properties", "projectName=civicpool-client,packageVersion=1.0.0",
            "--global-property", "apiTests=false,modelTests=false",
        ],
        check=False,
        capture_output=True,  # its progress chatter stays out of `make generate`; its errors do not
        text=True,
        env={**os.environ, "JAVA_HOME": str(java_home())},
    )  # fmt: skip
    if generated.returncode != 0:
        sys.exit(f"openapi-generator-cli failed:\n{generated.stdout[-4000:]}{generated.stderr[-4000:]}")


def generate_einvoice_rules(out: Path) -> None:
    from civicpool_einvoice.build import compile_xrechnung

    compile_xrechnung(out)


def _diff(expected: Path, actual: Path) -> list[str]:
    stale: list[str] = []
    comparison = filecmp.dircmp(expected, actual)
    stack = [comparison]
    while stack:
        current = stack.pop()
        rel = Path(current.left).relative_to(expected)
        stale += [str(rel / name) for name in current.left_only + current.right_only]
        stale += [str(rel / name) for name in current.diff_files]
        # dircmp compares shallowly by stat; compare contents to be sure.
        stale += [
            str(rel / name)
            for name in current.same_files
            if (Path(current.left) / name).read_bytes() != (Path(current.right) / name).read_bytes()
        ]
        stack += current.subdirs.values()
    return sorted(s for s in stale if "__pycache__" not in s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        (fresh / "protos").mkdir()
        (fresh / "keycloak").mkdir()
        generate_einvoice_rules(fresh / "einvoice")
        generate_protos(fresh / "protos")
        # The gateway (openapi.json) and the realm import the protos' Python code: the fresh one, not the one
        # installed from before a proto change (a new enum value would not be there yet).
        sys.path.insert(0, str(fresh / "protos"))
        generate_realm(fresh / "keycloak")
        generate_openapi(fresh / "openapi.json")
        generate_sdk(fresh / "openapi.json", fresh / "sdk")
        targets = [
            (fresh / "protos" / "civicpool", PROTO_OUT / "civicpool"),
            (fresh / "keycloak", KEYCLOAK_DIR),
            (fresh / "sdk", SDK_DIR),
            (fresh / "einvoice", EINVOICE_RULES),
        ]
        if args.check:
            stale = [
                f"{dst.relative_to(ROOT)}/{name}" for src, dst in targets for name in _diff(src, dst) if dst.exists()
            ]
            stale += [str(dst.relative_to(ROOT)) for _, dst in targets if not dst.exists()]
            if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_bytes() != (fresh / "openapi.json").read_bytes():
                stale.append("openapi.json")
            if stale:
                print("stale generated files (run `make generate`):", *stale, sep="\n  ")
                return 1
            print("generated files are fresh")
            return 0
        for src, dst in targets:
            if dst.exists() and dst.name in (
                "civicpool",
                "python",
                "compiled",
            ):  # whole generated trees: nothing stale stays
                shutil.rmtree(dst)  # the SDK's hand-written ignore file comes back with the fresh tree
            shutil.copytree(src, dst, dirs_exist_ok=True)
        shutil.copyfile(fresh / "openapi.json", OPENAPI_FILE)
        print("generated: libs/protos/src/civicpool, deploy/keycloak, openapi.json, clients/python, e-invoice rules")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
