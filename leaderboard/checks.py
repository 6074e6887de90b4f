"""Deployment checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def sign_in_is_locked_down(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[Warning]:
    problems = []
    if not settings.SSO_CONFIGURED:
        problems.append(
            Warning(
                "No identity provider is configured, so nobody can sign in.",
                hint="Set OIDC_PROVIDERS and the OIDC_<ID>_* variables (see README).",
                id="tokenboard.W001",
            )
        )
    if not settings.ALLOWED_EMAIL_DOMAINS:
        problems.append(
            Warning(
                "ALLOWED_EMAIL_DOMAINS is empty: any verified address at the identity provider "
                "may sign in.",
                hint="Set ALLOWED_EMAIL_DOMAINS=company.com",
                id="tokenboard.W002",
            )
        )
    return problems
