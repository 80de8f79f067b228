"""Sign-in through the real Keycloak: who gets in, and who does not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator

import httpx
import jwt
import pytest
from civicpool_cli.stack import Stack
from civicpool_cli.tokens import SignInError, password_token
from cryptography.hazmat.primitives import serialization
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
    assert len(users) == 32
    for username in users:
        claims = jwt.decode(tokens(username), options={"verify_signature": False})
        assert claims["preferred_username"] == username
        assert "civicpool-gateway" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, object], claims: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _realm_public_key_pem(stack: Stack) -> bytes:
    keys = httpx.get(f"{stack.keycloak.issuer}/protocol/openid-connect/certs", timeout=10).json()["keys"]
    signing = next(k for k in keys if k.get("use") == "sig" and k["kty"] == "RSA")
    public = jwt.PyJWK.from_dict(signing).key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize(
    "attack",
    ["alg-none", "hs256-with-the-realm-public-key", "unknown-key-id", "truncated-signature"],
)  # fmt: skip
def test_token_attacks_are_401_problems(api: ApiFactory, tokens: TokenSource, stack: Stack, attack: str) -> None:
    """Each forged token is refused with a 401 problem.

    Expired, not yet valid, wrong issuer and wrong audience need a signature the verifier trusts: they are
    test_tokens_the_realm_signed_but_not_valid_now_or_here_are_401, signed with a key the realm publishes; a
    changed claim under Keycloak's signature is test_a_token_whose_city_was_changed_is_refused; a real token
    for another client is below.
    """
    real = tokens("bruchsal.it")
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    forged = {
        "alg-none": lambda: _unsigned({"alg": "none", "typ": "JWT", "kid": header["kid"]}, claims) + ".",
        "hs256-with-the-realm-public-key": lambda: _hs256_with(_realm_public_key_pem(stack), header["kid"], claims),
        "unknown-key-id": lambda: jwt.encode(
            claims,
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
            headers={"kid": "no-such-key"},
        ),
        "truncated-signature": lambda: real[:-8],
    }[attack]()
    response = api(token=forged).get("/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/unauthenticated"


@pytest.fixture(scope="module")
def realm_signer(stack: Stack, api: ApiFactory, tokens: TokenSource) -> Iterator[Callable[..., str]]:
    """Signs tokens with a key of our own that the realm publishes (an extra RSA key provider, priority 1,
    so Keycloak still signs with its own): tokens the gateway trusts, with whatever claims a test needs."""
    admin = stack.keycloak.admin()
    admin.change_current_realm("civicpool")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    component = admin.create_component({
        "name": f"test-key-{time.time_ns()}", "providerId": "rsa", "providerType": "org.keycloak.keys.KeyProvider",
        "parentId": admin.get_realm("civicpool")["id"],
        "config": {"priority": ["1"], "enabled": ["true"], "active": ["true"], "algorithm": ["RS256"],
                   "privateKey": [pem.decode()]},
    })  # fmt: skip
    try:
        published = httpx.get(f"{stack.keycloak.issuer}/protocol/openid-connect/certs", timeout=10).json()["keys"]
        numbers = private.public_key().public_numbers()
        kid = next(k["kid"] for k in published if k.get("n") == _b64(numbers.n.to_bytes(256, "big")))
        template = jwt.decode(tokens("bruchsal.it"), options={"verify_signature": False})

        def sign(**changes: object) -> str:
            """Claims of bruchsal.it's token with `changes`; times (iat, exp, nbf) as seconds from now."""
            now, times = int(time.time()), {"iat": 0, "exp": 300}
            times |= {k: v for k, v in changes.items() if k in ("iat", "exp", "nbf") and isinstance(v, int)}
            claims = {**template, **changes, **{k: now + offset for k, offset in times.items()}}
            return jwt.encode({k: v for k, v in claims.items() if v is not None}, private, "RS256", {"kid": kid})

        # The gateway fetches the realm's keys again on an unknown key id, at most every 10 s.
        valid, deadline = sign(), time.monotonic() + 30
        while (answer := api(token=valid).get("/me")).status_code != 200:
            assert time.monotonic() < deadline, f"the gateway never trusted the realm's new key: {answer.text}"
            time.sleep(1)
        assert answer.json()["username"] == "bruchsal.it"  # the control: this key's tokens do get in
        yield sign
    finally:
        admin.delete_component(component)


@pytest.mark.parametrize(
    ("attack", "changes", "says"),
    [
        ("expired", {"iat": -3600, "exp": -600}, "expired"),  # seconds from now; the leeway is 30 s
        ("not-yet-valid", {"nbf": 600}, "not yet valid"),
        ("issued-in-the-future", {"iat": 600, "exp": 900}, "not yet valid"),
        ("wrong-issuer", {"iss": "https://login.example.invalid/realms/civicpool"}, "another identity provider"),
        ("wrong-audience", {"aud": ["someone-else"]}, "audience"),
        ("no-subject", {"sub": None}, "sub"),
        ("id-token", {"typ": "ID"}, "only access tokens"),
    ],
)  # fmt: skip
def test_tokens_the_realm_signed_but_not_valid_now_or_here_are_401(
    realm_signer: Callable[..., str], api: ApiFactory, attack: str, changes: dict[str, object], says: str
) -> None:
    response = api(token=realm_signer(**changes)).get("/me")
    assert response.status_code == 401, attack
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/unauthenticated"
    assert says in response.json()["detail"]


def _hs256_with(secret: bytes, kid: str, claims: dict[str, object]) -> str:
    """The classic algorithm confusion: HMAC keyed with the public key the verifier knows."""
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def test_a_token_keycloak_issued_for_another_client_is_refused(api: ApiFactory, stack: Stack) -> None:
    """Really signed by the realm, but not for civicpool: admin-cli's token lacks the gateway audience."""
    other = httpx.post(
        f"{stack.keycloak.issuer}/protocol/openid-connect/token",
        data={"client_id": "admin-cli", "grant_type": "password", "username": "bruchsal.it", "password": "demo"},
        timeout=10,
    )
    assert other.status_code == 200
    token = other.json()["access_token"]
    audience = jwt.decode(token, options={"verify_signature": False}).get("aud") or []
    assert "civicpool-gateway" not in audience  # a real realm signature, but not for us
    response = api(token=token).get("/me")
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/unauthenticated"


def test_a_disabled_user_cannot_sign_in_again(api: ApiFactory, stack: Stack) -> None:
    """Disabling a user in Keycloak stops new tokens at once; one already issued lasts until it expires."""
    admin = stack.keycloak.admin()
    admin.change_current_realm("civicpool")
    username = f"disabled.{int(time.time() * 1000)}"
    password = [{"type": "password", "value": "demo", "temporary": False}]
    user_id = admin.create_user({"username": username, "enabled": True, "email": f"{username}@demo.civicpool.invalid",
                                 "emailVerified": True, "firstName": "Ex", "lastName": "Employee",
                                 "credentials": password})  # fmt: skip
    admin.assign_realm_roles(user_id, [admin.get_realm_role("city-it")])
    issued = password_token(stack.keycloak.url, username, "demo")
    admin.update_user(user_id, {"enabled": False})
    with pytest.raises(SignInError):
        password_token(stack.keycloak.url, username, "demo")
    # By design of signed tokens: the one issued before works until it expires (15 minutes at most).
    assert api(token=issued).get("/me").status_code == 200
    admin.delete_user(user_id)
