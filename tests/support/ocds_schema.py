"""Validate OCDS 1.1 release packages offline against the standard's own schemas.

No PyPI package ships these schemas (libcoveocds and ocdskit download them at
run time), so tests/schemas/ocds/1__1__5/ holds copies of release-package-schema.json
and release-schema.json from open-contracting/standard at tag 1__1__5
(Apache-2.0). References resolve from that folder only: a missing one fails
instead of being fetched.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "ocds" / "1__1__5"


def _refuse_download(uri: str) -> Resource[Any]:
    raise LookupError(f"{uri} is not among the local OCDS schemas; nothing is downloaded")


@functools.cache
def release_package_validator() -> Draft4Validator:
    schemas = [json.loads((SCHEMA_DIR / name).read_text("utf-8"))
               for name in ("release-package-schema.json", "release-schema.json")]  # fmt: skip
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
