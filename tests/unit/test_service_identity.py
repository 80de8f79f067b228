"""A service's own token: fetched with its client's credentials when first needed, reused, and failures said plainly."""

from __future__ import annotations

import httpx
import pytest
from civicpool_common.errors import Unavailable
from civicpool_common.methods import full_service_name, internal_methods
from civicpool_common.service_identity import SERVICES, ServiceTokens
from civicpool_common.settings import OidcSettings

OIDC = OidcSettings(
    issuer="https://login.example.org/realms/civicpool", internal_issuer="http://keycloak:8080/realms/civicpool"
)


def _tokens(handler: httpx.MockTransport, secret: str = "s3cret") -> ServiceTokens:
    return ServiceTokens("contracts", secret, OIDC, httpx.AsyncClient(transport=handler))


async def test_the_token_is_asked_once_at_the_internal_address_and_reused() -> None:
    asked: list[httpx.Request] = []

    def keycloak(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"access_token": f"token-{len(asked)}", "expires_in": 300})

    tokens = _tokens(httpx.MockTransport(keycloak))
    assert [await tokens.token() for _ in range(5)] == ["token-1"] * 5
    assert len(asked) == 1
    assert str(asked[0].url) == "http://keycloak:8080/realms/civicpool/protocol/openid-connect/token"
    form = dict(httpx.QueryParams(asked[0].content.decode()))
    assert form == {"grant_type": "client_credentials", "client_id": "civicpool-contracts", "client_secret": "s3cret"}


async def test_a_token_about_to_expire_is_renewed() -> None:
    count = 0

    def keycloak(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return httpx.Response(200, json={"access_token": f"token-{count}", "expires_in": 0})

    tokens = _tokens(httpx.MockTransport(keycloak))
    assert (await tokens.token(), await tokens.token()) == ("token-1", "token-2")


@pytest.mark.parametrize(
    ("answer", "secret", "says"),
    [
        (httpx.Response(401, json={"error": "unauthorized_client"}), "wrong", "refused"),
        (httpx.Response(200, json={}), "", "CIVICPOOL_CONTRACTS_CLIENT_SECRET"),
    ],
)
async def test_without_a_valid_secret_calls_are_unavailable_with_the_reason(
    answer: httpx.Response, secret: str, says: str
) -> None:
    tokens = _tokens(httpx.MockTransport(lambda request: answer), secret)
    with pytest.raises(Unavailable, match=says):
        await tokens.token()


async def test_keycloak_away_is_unavailable() -> None:
    def away(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(Unavailable, match="did not answer"):
        await _tokens(httpx.MockTransport(away)).token()


def test_internal_methods_come_from_the_proto_options() -> None:
    from civicpool.demand.v1 import demand_pb2  # noqa: F401 - registers the service's descriptor

    assert internal_methods("civicpool.demand.v1.DemandService") == {
        "/civicpool.demand.v1.DemandService/BundleRound": "tenders",
        "/civicpool.demand.v1.DemandService/CreatePrefilledRound": "contracts",
    }


def test_each_services_full_name_is_its_protos() -> None:
    """open_channel and the sealed-bid metrics name services by convention; the descriptors must agree."""
    from civicpool.catalog.v1 import catalog_pb2
    from civicpool.contracts.v1 import contracts_pb2
    from civicpool.demand.v1 import demand_pb2
    from civicpool.notifications.v1 import notifications_pb2
    from civicpool.tenders.v1 import tenders_pb2

    declared = {module.DESCRIPTOR.package.split(".")[1]: next(iter(module.DESCRIPTOR.services_by_name.values()))
                for module in (catalog_pb2, demand_pb2, tenders_pb2, contracts_pb2, notifications_pb2)}  # fmt: skip
    assert {name: full_service_name(name) for name in SERVICES} == {n: s.full_name for n, s in declared.items()}
