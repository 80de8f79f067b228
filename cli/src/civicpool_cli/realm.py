"""The Keycloak realm `civicpool`, generated from the demo network (`make generate`).

Two files in Keycloak's import format, so `kc.sh --import-realm` (containers)
and our launcher (admin API) read the same thing:
- civicpool-realm.json: roles, city and vendor groups, clients (one per service, with
  its secret as a ${...} placeholder filled from the environment at import), token
  claims, the user profile. Safe for production.
- civicpool-users-0.json: the demo users (password `demo`). Local demo only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from civicpool_common import service_identity
from civicpool_common.vocabulary import ID_PATTERN

from civicpool_cli.demo import (
    CITIES,
    CITY_ROLES,
    DEMO_PASSWORD,
    NETWORK_ADMIN_USER,
    VENDORS,
    vendor_user,
)

REALM = "civicpool"
AUDIENCE = "civicpool-gateway"
PORTAL_CLIENT = "civicpool-portal"
CLI_CLIENT = "civicpool-cli"
REALM_FILE = "civicpool-realm.json"
USERS_FILE = "civicpool-users-0.json"
# Redirect URIs of the portal at the documented local address; the launcher
# adds the actual gateway address when it differs (tests use free ports).
LOCAL_PORTAL_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")

ROLE_DESCRIPTIONS = {
    "city-it": "IT staff of one member city: registers the city's demand",
    "procurement-lead": "Procurement office of a lead city: runs joint tenders",
    "finance": "Finance/controlling: allocations, costs, statements",
    "network-admin": "Coordinator of the network: catalog, cities, vendors, cost keys",
    "vendor": "A supplier's sales office: bids in published tenders",
} | {
    service_identity.role(service): f"The {service} service itself (its client's service account only)"
    for service in service_identity.IDENTITIES
}


def _attribute_claim(name: str) -> dict[str, Any]:
    return {
        "name": f"{name} claim",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-attribute-mapper",
        "config": {
            "user.attribute": name,
            "claim.name": name,
            "jsonType.label": "String",
            "multivalued": "false",
            "access.token.claim": "true",
            "id.token.claim": "true",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
        },
    }


PROTOCOL_MAPPERS = [
    _attribute_claim("city"),
    _attribute_claim("vendor"),
    {
        "name": "civicpool audience",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.custom.audience": AUDIENCE,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
        },
    },
]


def _profile_attribute(
    name: str, display: str, validations: dict[str, Any], *, user_edits: bool, required: bool = False
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "displayName": display,
        "validations": validations,
        "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"] if user_edits else ["admin"]},
        "multivalued": False,
    }
    if required:
        attribute["required"] = {"roles": ["user"]}
    return attribute


# Keycloak 24+ drops user attributes the profile does not declare. `city` and
# `vendor` decide what a user may see and do, so only admins may edit them.
USER_PROFILE = {
    "attributes": [
        _profile_attribute(
            "username",
            "${username}",
            {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            user_edits=True,
        ),
        _profile_attribute("email", "${email}", {"email": {}, "length": {"max": 255}}, user_edits=True, required=True),
        _profile_attribute(
            "firstName",
            "${firstName}",
            {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            user_edits=True,
            required=True,
        ),
        _profile_attribute(
            "lastName",
            "${lastName}",
            {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            user_edits=True,
            required=True,
        ),
        _profile_attribute("city", "Member city", {"pattern": {"pattern": ID_PATTERN}}, user_edits=False),
        _profile_attribute("vendor", "Vendor", {"pattern": {"pattern": ID_PATTERN}}, user_edits=False),
        # The language of the mails the user receives: "de" (also when not set) or "en".
        _profile_attribute("locale", "Language of e-mails", {"pattern": {"pattern": "^(de|en)$"}}, user_edits=True),
    ],
    "groups": [
        {
            "name": "user-metadata",
            "displayHeader": "User metadata",
            "displayDescription": "Attributes, which refer to user metadata",
        }
    ],
}


def service_client(service: str) -> dict[str, Any]:
    """A service's own confidential client: client credentials only, tokens for the services' audience.

    The secret is a placeholder that Keycloak's --import-realm fills from the environment (and our
    launcher from the data folder): the same variable the service reads its secret from.
    """
    return {
        "clientId": service_identity.client_id(service),
        "name": f"civicpool {service} service",
        "enabled": True,
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": "${" + service_identity.secret_variable(service) + "}",
        "protocol": "openid-connect",
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
        "protocolMappers": [
            {
                "name": "civicpool services audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {
                    "included.custom.audience": service_identity.SERVICE_AUDIENCE,
                    "access.token.claim": "true",
                    "id.token.claim": "false",
                    "introspection.token.claim": "true",
                },
            }
        ],
    }


# Roles of other clients a service's account holds: the notifications service reads users' addresses and
# languages through Keycloak's admin API, and nothing more.
SERVICE_CLIENT_ROLES = {"notifications": {"realm-management": ["view-users", "query-users"]}}


def service_account(service: str) -> dict[str, Any]:
    """The service account user of a service's client, holding the service's own role."""
    return {
        "username": f"service-account-{service_identity.client_id(service)}",
        "enabled": True,
        "serviceAccountClientId": service_identity.client_id(service),
        "realmRoles": [service_identity.role(service)],
        **({"clientRoles": SERVICE_CLIENT_ROLES[service]} if service in SERVICE_CLIENT_ROLES else {}),
    }


def portal_redirects(origins: tuple[str, ...]) -> dict[str, Any]:
    """Keycloak sends the browser back to exactly the portal's callback and its signed-out page."""
    return {
        "redirectUris": [f"{origin}/portal/callback" for origin in origins],
        "webOrigins": list(origins),
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(f"{origin}/portal/signed-out" for origin in origins),
        },
    }


def realm_representation() -> dict[str, Any]:
    return {
        "realm": REALM,
        "displayName": "civicpool",
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "resetPasswordAllowed": False,
        "bruteForceProtected": True,
        # The login pages speak the portal's languages; German first, as the portal does.
        "internationalizationEnabled": True,
        "supportedLocales": ["de", "en"],
        "defaultLocale": "de",
        "accessTokenLifespan": 900,
        "ssoSessionIdleTimeout": 1800,
        "ssoSessionMaxLifespan": 36000,
        "roles": {"realm": [{"name": n, "description": d} for n, d in ROLE_DESCRIPTIONS.items()]},
        "groups": [
            {
                "name": "cities",
                "subGroups": [
                    {"name": c.id, "attributes": {"city": [c.id], "display_name": [c.name], "ags": [c.ags]}}
                    for c in CITIES
                ],
            },
            {
                "name": "vendors",
                "subGroups": [
                    {"name": v.id, "attributes": {"vendor": [v.id], "display_name": [v.name]}} for v in VENDORS
                ],
            },
        ],
        "clients": [
            {
                "clientId": PORTAL_CLIENT,
                "name": "civicpool portal",
                "enabled": True,
                "publicClient": True,
                "protocol": "openid-connect",
                "standardFlowEnabled": True,
                "implicitFlowEnabled": False,
                "directAccessGrantsEnabled": False,
                "serviceAccountsEnabled": False,
                "frontchannelLogout": True,
                **portal_redirects(LOCAL_PORTAL_ORIGINS),
                "protocolMappers": PROTOCOL_MAPPERS,
            },
            {
                "clientId": CLI_CLIENT,
                "name": "civicpool command line and scripts",
                "enabled": True,
                "publicClient": True,
                "protocol": "openid-connect",
                "standardFlowEnabled": False,
                "implicitFlowEnabled": False,
                "directAccessGrantsEnabled": True,
                "serviceAccountsEnabled": False,
                "protocolMappers": PROTOCOL_MAPPERS,
            },
            *(service_client(service) for service in service_identity.IDENTITIES),
        ],
        "users": [service_account(service) for service in service_identity.IDENTITIES],
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {"kc.user.profile.config": [json.dumps(USER_PROFILE, separators=(",", ":"))]},
                }
            ]
        },
    }


def _user(
    username: str, first: str, last: str, role: str, group: str, attributes: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "username": username,
        "enabled": True,
        "emailVerified": True,
        "firstName": first,
        "lastName": last,
        "email": f"{username}@demo.civicpool.invalid",
        "attributes": attributes,
        "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
        "realmRoles": [role],
        "groups": [group] if group else [],
    }


def demo_users() -> list[dict[str, Any]]:
    users = [
        _user(f"{city.id}.{suffix}", title, city.name, role, f"/cities/{city.id}", {"city": [city.id]})
        for city in CITIES
        for suffix, role, title in CITY_ROLES
    ]
    users.append(_user(NETWORK_ADMIN_USER, "Netzwerk", "Koordination", "network-admin", "", {}))
    users += [
        _user(vendor_user(v), "Vertrieb", v.name, "vendor", f"/vendors/{v.id}", {"vendor": [v.id]}) for v in VENDORS
    ]
    return users


def write_realm_files(directory: Path) -> None:
    def dump(name: str, content: dict[str, Any]) -> None:
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        (directory / name).write_text(text, encoding="utf-8")

    dump(REALM_FILE, realm_representation())
    dump(USERS_FILE, {"realm": REALM, "users": demo_users()})
