"""The Content-Security-Policy, opened exactly as far as signing in at the identity providers
needs.

The sign-in button POSTs to allauth, which redirects to the identity provider; browsers
(Chromium) check `form-action` against every redirect that follows a form submission, so a
`form-action 'self'` alone blocks company sign-in. The configured providers' origins, and no
other, are added to `form-action`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csp

if TYPE_CHECKING:
    from leaderboard.web.sso import App, Provider


def origin(url: object) -> str:
    """scheme://host[:port] of an absolute http(s) URL ('' for anything else)."""
    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"


def _sign_in_urls(app: App) -> list[str | None]:
    app_settings = app.get("settings") or {}
    overrides = app_settings.get("openid_configuration_overrides") or {}
    idp = app_settings.get("idp") or {}
    return [
        # OpenID Connect: the issuer, or the authorization endpoint if it is elsewhere
        overrides.get("authorization_endpoint") or app_settings.get("server_url"),
        # SAML: the IdP's sign-in URL; with only a metadata URL, the IdP's own host
        idp.get("sso_url") or idp.get("metadata_url"),
    ]


def identity_provider_origins(providers: Mapping[str, Provider]) -> list[str]:
    """The origins a sign-in form may be redirected to: one per configured identity provider."""
    found: list[str] = []
    for provider in (providers or {}).values():
        for app in provider.get("APPS", []):
            for url in _sign_in_urls(app):
                if (o := origin(url)) and o not in found:
                    found.append(o)
    return found


def policy(base: dict[str, list[str]], providers: Mapping[str, Provider]) -> dict[str, list[str]]:
    """base with the identity providers' origins added to its form-action."""
    if not base:
        return base
    form_action = list(base.get("form-action", []))
    form_action += [o for o in identity_provider_origins(providers) if o not in form_action]
    return {**base, "form-action": form_action}


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP middleware, with SECURE_CSP's form-action widened to the identity
    providers configured right now (computed per response: it costs microseconds and can
    never disagree with SOCIALACCOUNT_PROVIDERS)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not hasattr(response, "_csp_config"):  # a view's own @csp_override wins
            # settings.py builds them as sso.Provider describes
            providers = cast("dict[str, Provider]", settings.SOCIALACCOUNT_PROVIDERS)
            # the attribute @csp_override sets and Django's middleware reads (not in the stubs)
            response._csp_config = policy(settings.SECURE_CSP, providers)  # type: ignore[attr-defined]
        return super().process_response(request, response)
