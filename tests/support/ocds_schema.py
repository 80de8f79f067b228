"""Validate OCDS 1.1 release packages offline against the standard's own schemas.

No PyPI package ships these schemas (libcoveocds and ocdskit download them at
run time), so tests/schemas/ocds/ holds copies (Apache-2.0): the package and
release schemas of open-contracting/standard at tag 1__1__5, and the lots
extension's release-schema.json at v1.1.5, applied to the release schema as a
JSON merge patch the way OCDS extensions work. References resolve from these
files only: a missing one fails instead of being fetched.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "ocds"
CORE, LOTS_EXTENSION = SCHEMAS / "1__1__5", SCHEMAS / "lots-v1.1.5"


def _refuse_download(uri: str) -> Resource[Any]:
    raise LookupError(f"{uri} is not among the local OCDS schemas; nothing is downloaded")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: how an OCDS extension's schema changes the release schema."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@functools.cache
def release_package_validator() -> Draft4Validator:
    release = merge_patch(_load(CORE / "release-schema.json"), _load(LOTS_EXTENSION / "release-schema.json"))
    schemas = [_load(CORE / "release-package-schema.json"), release]
    registry: Registry[Any] = Registry(retrieve=_refuse_download).with_resources(  # type: ignore[call-arg]
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)) for schema in schemas
    )
    Draft4Validator.check_schema(schemas[0])
    return Draft4Validator(schemas[0], registry=registry, format_checker=FormatChecker())


def ocds_errors(package: dict[str, Any]) -> list[str]:
    """Every schema violation as "path: message"; empty when the package is valid."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in release_package_validator().iter_errors(package)
    ]
