"""The verifier's own logic, with a key pair made here.

The real path (tokens from the real Keycloak through gateway and services) is
covered in tests/integration; these cases need tokens Keycloak would never
issue: expired, another audience, HS256 signed with the public key, alg=none.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from civicpool_common.auth import Principal, Role, TokenVerifier
from civicpool_common.errors import Unauthenticated
from civicpool_common.settings import OidcSettings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "http://127.0.0.1:1/realms/civicpool"


class KeySet:
    """Signing keys published at a JWKS address, counting how often it is asked."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        jwks = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            jwks.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return httpx.Response(200, json={"keys": jwks})


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": "civicpool-gateway", "sub": "u-1", "iat": now, "exp": now + 300, "typ": "Bearer",
        "preferred_username": "bruchsal.it", "city": "bruchsal",
        "realm_access": {"roles": ["city-it", "offline_access"]},
    }  # fmt: skip
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def keyset() -> KeySet:
    keys = KeySet()
    keys.add("k1")
    return keys


@pytest.fixture
def verifier(keyset: KeySet) -> TokenVerifier:
    settings = OidcSettings(issuer=ISSUER, refetch_cooldown_seconds=60)
    return TokenVerifier(settings, httpx.AsyncClient(transport=httpx.MockTransport(keyset.handler)))


def _sign(key: rsa.RSAPrivateKey, kid: str, **changes: Any) -> str:
    return jwt.encode(_claims(**changes), key, algorithm="RS256", headers={"kid": kid})


async def test_a_valid_token_gives_the_principal(keyset: KeySet, verifier: TokenVerifier) -> None:
    principal = await verifier.verify(_sign(keyset.keys["k1"], "k1"))
    assert principal == Principal("u-1", "bruchsal.it", frozenset({Role.CITY_IT}), city="bruchsal")


async def test_keys_are_fetched_once_and_cached(keyset: KeySet, verifier: TokenVerifier) -> None:
    for _ in range(5):
        await verifier.verify(_sign(keyset.keys["k1"], "k1"))
    assert keyset.fetches == 1


async def test_an_unknown_key_id_refetches_at_most_once_per_cooldown(keyset: KeySet) -> None:
    settings = OidcSettings(issuer=ISSUER, refetch_cooldown_seconds=0.3)
    verifier = TokenVerifier(settings, httpx.AsyncClient(transport=httpx.MockTransport(keyset.handler)))
    await verifier.verify(_sign(keyset.keys["k1"], "k1"))
    await asyncio.sleep(0.4)
    rotated = keyset.add("k2")  # Keycloak rotated its keys
    assert (await verifier.verify(_sign(rotated, "k2"))).username == "bruchsal.it"
    assert keyset.fetches == 2
    # A flood of forged key ids costs at most one fetch per cooldown: none right after the
    # rotation fetch, then one for the next burst.
    for burst, fetches_after in enumerate((2, 3)):
        for i in range(20):
            with pytest.raises(Unauthenticated, match="unknown key"):
                await verifier.verify(_sign(rotated, f"forged-{burst}-{i}"))
        assert keyset.fetches == fetches_after
        await asyncio.sleep(0.4)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"aud": "another-app"}, "not meant for civicpool"),
        ({"iss": "http://evil.example/realms/civicpool"}, "another identity provider"),
        ({"typ": "Refresh"}, "only access tokens"),
        ({"sub": None}, "invalid"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"iat": int(time.time()) + 3600}, "not yet valid"),
    ],
)
async def test_tokens_that_must_not_pass(
    keyset: KeySet, verifier: TokenVerifier, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        await verifier.verify(_sign(keyset.keys["k1"], "k1", **changes))


async def test_a_token_signed_by_someone_else_fails(keyset: KeySet, verifier: TokenVerifier) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated, match="invalid"):
        await verifier.verify(_sign(attacker, "k1"))


async def test_algorithm_confusion_with_the_public_key_fails(keyset: KeySet, verifier: TokenVerifier) -> None:
    public_pem = (
        keyset.keys["k1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"kid": "k1", "alg": "HS256", "typ": "JWT"}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(_claims()).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthenticated):
        await verifier.verify(f"{signing_input}.{b64(signature)}")


async def test_alg_none_fails(verifier: TokenVerifier) -> None:
    unsigned = jwt.encode(_claims(), key=None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(Unauthenticated):
        await verifier.verify(unsigned)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
async def test_garbage_is_refused_cleanly(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(garbage)


async def test_unreachable_keys_mean_not_ready_and_unauthenticated() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    verifier = TokenVerifier(OidcSettings(issuer=ISSUER), httpx.AsyncClient(transport=httpx.MockTransport(down)))
    assert await verifier.ensure_keys() is False
    with pytest.raises(Unauthenticated, match="cannot be fetched"):
        await verifier.verify(_sign(rsa.generate_private_key(public_exponent=65537, key_size=2048), "k1"))


def test_a_principal_checks_roles() -> None:
    lead = Principal("u", "ettlingen.lead", frozenset({Role.PROCUREMENT_LEAD}), city="ettlingen")
    assert lead.has_any_role([Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN])
    with pytest.raises(Exception, match="'network-admin'"):
        lead.require_any_role(Role.NETWORK_ADMIN)


async def test_a_verified_token_is_cached_but_still_expires(keyset: KeySet) -> None:
    verifier = TokenVerifier(
        OidcSettings(issuer=ISSUER, leeway_seconds=0),
        httpx.AsyncClient(transport=httpx.MockTransport(keyset.handler)),
    )
    token = _sign(keyset.keys["k1"], "k1", exp=int(time.time()) + 2)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # served from the cache
    await asyncio.sleep(2.1)
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(token)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"keys": [{"kty": "RSA", "kid": "broken", "n": "!", "e": "AQAB"}, {"no": "kid"}]}),
        httpx.Response(200, json=["not", "a", "key", "set"]),
        httpx.Response(503),
    ],
)
async def test_a_broken_key_set_is_unauthenticated_not_a_crash(answer: httpx.Response) -> None:
    verifier = TokenVerifier(
        OidcSettings(issuer=ISSUER), httpx.AsyncClient(transport=httpx.MockTransport(lambda _: answer))
    )
    assert await verifier.ensure_keys() is False
    with pytest.raises(Unauthenticated, match="cannot be fetched"):
        await verifier.verify(_sign(rsa.generate_private_key(public_exponent=65537, key_size=2048), "k1"))


async def test_one_bad_key_does_not_spoil_the_good_ones(keyset: KeySet) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        good = keyset.handler(request).json()["keys"]
        return httpx.Response(200, json={"keys": [{"kty": "RSA", "kid": "broken", "n": "!", "e": "AQAB"}, *good]})

    verifier = TokenVerifier(OidcSettings(issuer=ISSUER), httpx.AsyncClient(transport=httpx.MockTransport(answer)))
    assert (await verifier.verify(_sign(keyset.keys["k1"], "k1"))).city == "bruchsal"


async def test_keys_survive_a_failed_refetch(keyset: KeySet) -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return keyset.handler(request) if calls == 1 else httpx.Response(500)

    verifier = TokenVerifier(
        OidcSettings(issuer=ISSUER, refetch_cooldown_seconds=0),
        httpx.AsyncClient(transport=httpx.MockTransport(flaky)),
    )
    await verifier.verify(_sign(keyset.keys["k1"], "k1"))
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.verify(_sign(keyset.keys["k1"], "rotated"))  # triggers a refetch, which fails
    assert (await verifier.verify(_sign(keyset.keys["k1"], "k1", sub="u-2"))).user_id == "u-2"


async def test_a_failed_fetch_at_start_does_not_hold_back_the_first_call(keyset: KeySet) -> None:
    """Keycloak down while a service starts, up by its first call: that call fetches, cooldown or not."""
    up = False

    def handler(request: httpx.Request) -> httpx.Response:
        if not up:
            raise httpx.ConnectError("connection refused", request=request)
        return keyset.handler(request)

    settings = OidcSettings(issuer=ISSUER, refetch_cooldown_seconds=60)
    verifier = TokenVerifier(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    assert not await verifier.ensure_keys()
    up = True
    assert (await verifier.verify(_sign(keyset.keys["k1"], "k1"))).username == "bruchsal.it"


def _service_claims(service: str) -> dict[str, Any]:
    return {"aud": "civicpool-services", "preferred_username": f"service-account-civicpool-{service}",
            "city": None, "realm_access": {"roles": [f"service-{service}", "offline_access"]}}  # fmt: skip


async def test_a_service_token_names_its_service(keyset: KeySet, verifier: TokenVerifier) -> None:
    token = _sign(keyset.keys["k1"], "k1", **_service_claims("contracts"))
    assert await verifier.verify_service(token) == frozenset({"contracts"})


async def test_a_user_token_is_no_service_token_and_a_service_token_no_user_token(
    keyset: KeySet, verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthenticated, match="civicpool-services"):
        await verifier.verify_service(_sign(keyset.keys["k1"], "k1"))
    with pytest.raises(Unauthenticated, match="civicpool-gateway"):
        await verifier.verify(_sign(keyset.keys["k1"], "k1", **_service_claims("contracts")))


async def test_a_service_token_of_another_key_is_refused(keyset: KeySet, verifier: TokenVerifier) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated):
        await verifier.verify_service(_sign(attacker, "k1", **_service_claims("contracts")))
