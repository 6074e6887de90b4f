"""The Content-Security-Policy lets sign-in forms go to the identity providers, and nowhere else."""

from __future__ import annotations

import pytest

from leaderboard.web.csp import identity_provider_origins, origin

OKTA = {
    "provider_id": "okta",
    "client_id": "c",
    "secret": "s",
    "settings": {"server_url": "https://company.okta.com/oauth2/default"},
}
KEYCLOAK = {  # the browser reaches Keycloak at another host than the back channel does
    "provider_id": "keycloak",
    "client_id": "c",
    "secret": "s",
    "settings": {
        "server_url": "http://keycloak.internal:8080/realms/acme",
        "openid_configuration_overrides": {
            "authorization_endpoint": "https://sso.company.com/realms/acme/protocol/openid-connect/auth"
        },
    },
}
SAML = {
    "client_id": "acme",
    "settings": {"idp": {"entity_id": "e", "sso_url": "https://idp.company.com:8443/saml/sso"}},
}
SAML_BY_METADATA = {
    "client_id": "other",
    "settings": {"idp": {"metadata_url": "https://login.example.net/tenant/metadata.xml"}},
}


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


def test_form_action_is_self_and_exactly_the_configured_identity_providers(
    client, db, settings
) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [OKTA, KEYCLOAK]},
        "saml": {"APPS": [SAML, SAML_BY_METADATA]},
    }

    found = directives(client.get("/accounts/login/"))

    assert found["form-action"] == (
        "'self' https://company.okta.com https://sso.company.com "
        "https://idp.company.com:8443 https://login.example.net"
    )
    assert found["default-src"] == "'self'" and found["frame-ancestors"] == "'none'"
    assert found["script-src"].startswith("'self' 'nonce-")


def test_without_identity_providers_forms_post_only_to_tokenboard(client, db, settings) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}

    assert directives(client.get("/accounts/login/"))["form-action"] == "'self'"


def test_each_provider_origin_is_listed_once() -> None:
    second_okta_app = {**OKTA, "provider_id": "okta-2"}

    origins = identity_provider_origins({"openid_connect": {"APPS": [OKTA, second_okta_app]}})

    assert origins == ["https://company.okta.com"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Login.Example.com/tenant/v2.0?x=1", "https://login.example.com"),
        ("http://127.0.0.1:9010", "http://127.0.0.1:9010"),
        ("https://user:secret@idp.example.com/sso", "https://idp.example.com"),
        ("javascript:alert(1)", ""),
        ("//idp.example.com/no-scheme", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_an_origin_is_scheme_host_and_port_of_an_http_url(url, expected) -> None:
    assert origin(url) == expected
