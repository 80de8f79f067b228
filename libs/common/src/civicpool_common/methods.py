"""What the protos say about each method, read from the generated descriptors: one home for it.

- internal methods (option civicpool.common.v1.internal_caller): the one service that may call them;
- read methods (idempotency_level = NO_SIDE_EFFECTS): safe to send again, so channels retry them.

The service's _pb2 module must be imported before its descriptor can be found.
"""

from __future__ import annotations

import importlib

from civicpool.common.v1 import options_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions


def full_service_name(service: str) -> str:
    """The proto service of one of ours: catalog -> civicpool.catalog.v1.CatalogService."""
    return f"civicpool.{service}.v1.{service.capitalize()}Service"


def _service(full_service_name: str) -> ServiceDescriptor:
    """The descriptor of one of our services, its _pb2 module imported by convention when it is not yet."""
    try:
        return descriptor_pool.Default().FindServiceByName(full_service_name)
    except KeyError:
        package = full_service_name.rsplit(".", 1)[0]  # civicpool.notifications.v1
        importlib.import_module(f"{package}.{package.split('.')[1]}_pb2")
        return descriptor_pool.Default().FindServiceByName(full_service_name)


def internal_methods(full_service_name: str) -> dict[str, str]:
    """/package.Service/Method -> the service(s) that may call it ("tenders", or "demand,tenders"), for each
    internal method of a service."""
    service = _service(full_service_name)
    found = {}
    for method in service.methods:
        caller = method.GetOptions().Extensions[options_pb2.internal_caller]
        if caller:
            found[f"/{service.full_name}/{method.name}"] = caller
    return found


def read_methods(full_service_name: str) -> list[str]:
    """The names of a service's methods marked NO_SIDE_EFFECTS: reads, which may be retried."""
    service = _service(full_service_name)
    return [m.name for m in service.methods if m.GetOptions().idempotency_level == MethodOptions.NO_SIDE_EFFECTS]
