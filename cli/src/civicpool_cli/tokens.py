"""Access tokens for people and scripts, from Keycloak's civicpool-cli client (password grant)."""

from __future__ import annotations

import json

from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from civicpool_cli.realm import CLI_CLIENT, REALM


class SignInError(RuntimeError):
    pass


def password_token(keycloak_url: str, username: str, password: str) -> str:
    """An access token for `username`; SignInError with Keycloak's reason when refused."""
    client = KeycloakOpenID(server_url=keycloak_url, realm_name=REALM, client_id=CLI_CLIENT)
    try:
        tokens = client.token(username=username, password=password)
    except KeycloakError as exc:
        raise SignInError(f"Keycloak refused {username}: {_reason(exc)}") from None
    return str(tokens["access_token"])


def _reason(error: KeycloakError) -> str:
    """Keycloak's own words (e.g. 'Invalid user credentials'), else the raw message."""
    try:
        body = json.loads(error.response_body or b"{}")
    except ValueError:
        body = {}
    return str(body.get("error_description") or body.get("error") or error.error_message)
