"""Access tokens for people and scripts, from Keycloak's civicpool-cli client (password grant)."""

from __future__ import annotations

from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError

from civicpool_cli.realm import CLI_CLIENT, REALM


class SignInError(RuntimeError):
    pass


def password_token(keycloak_url: str, username: str, password: str) -> str:
    """An access token for `username`; SignInError with Keycloak's reason when refused."""
    client = KeycloakOpenID(server_url=keycloak_url, realm_name=REALM, client_id=CLI_CLIENT)
    try:
        tokens = client.token(username=username, password=password)
    except KeycloakAuthenticationError as exc:
        raise SignInError(f"Keycloak refused {username}: {exc.error_message!r}") from None
    return str(tokens["access_token"])
