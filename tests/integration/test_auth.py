"""Sign-in through the real Keycloak: who gets in, and who does not."""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import pytest
from civicpool_cli.stack import Stack
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PROBLEM, ApiFactory
from tests.support.tokens import TokenSource


def test_no_token_is_401_problem_with_a_bearer_challenge(api: ApiFactory) -> None:
    response = api().get("/items")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_a_broken_token_is_401(api: ApiFactory, token: str) -> None:
    response = api(token=token).get("/items")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def _with_claims(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_token_whose_city_was_changed_is_refused(api: ApiFactory, tokens: TokenSource) -> None:
    tampered = _with_claims(tokens("bruchsal.it"), city="buehl", realm_access={"roles": ["network-admin"]})
    assert api(token=tampered).get("/me").status_code == 401


def test_a_token_signed_with_another_key_under_keycloaks_key_id_is_refused(
    api: ApiFactory, tokens: TokenSource
) -> None:
    real = tokens("bruchsal.it")
    claims = jwt.decode(real, options={"verify_signature": False})
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, attacker, algorithm="RS256", headers={"kid": jwt.get_unverified_header(real)["kid"]})
    assert api(token=forged).get("/me").status_code == 401


def test_a_token_of_another_realm_is_refused(api: ApiFactory, stack: Stack) -> None:
    master = httpx.post(
        f"{stack.keycloak.url}/realms/master/protocol/openid-connect/token",
        data={"client_id": "admin-cli", "grant_type": "password", "username": "admin",
              "password": stack.keycloak.admin_password()},
    ).json()["access_token"]  # fmt: skip
    response = api(token=master).get("/me")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("username", "roles", "city", "vendor"),
    [
        ("bruchsal.it", ["city-it"], "bruchsal", None),
        ("buehl.finance", ["finance"], "buehl", None),
        ("ettlingen.lead", ["procurement-lead"], "ettlingen", None),
        ("baden-baden.it", ["city-it"], "baden-baden", None),
        ("network.admin", ["network-admin"], None, None),
        ("vendor.globalmeet", ["vendor"], None, "globalmeet"),
    ],
)
def test_me_shows_the_roles_and_the_city_or_vendor_from_keycloak(
    api: ApiFactory, username: str, roles: list[str], city: str | None, vendor: str | None
) -> None:
    me = api(username).get("/me").json()
    assert (me["username"], me["roles"], me["city"], me["vendor"]) == (username, roles, city, vendor)


def test_every_demo_user_can_sign_in(tokens: TokenSource) -> None:
    from civicpool_cli.demo import CITIES, CITY_ROLES, NETWORK_ADMIN_USER, VENDORS, vendor_user

    users = [f"{c.id}.{suffix}" for c in CITIES for suffix, _, _ in CITY_ROLES]
    users += [NETWORK_ADMIN_USER, *(vendor_user(v) for v in VENDORS)]
    assert len(users) == 31
    for username in users:
        claims = jwt.decode(tokens(username), options={"verify_signature": False})
        assert claims["preferred_username"] == username
        assert "civicpool-gateway" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
