"""Company sign-in rules for allauth: who may sign in, and linking them to their Person."""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from . import people, services


def _claims(sociallogin: Any) -> dict[str, Any]:
    data = sociallogin.account.extra_data or {}
    claims = dict(data)
    for part in ("id_token", "userinfo"):
        if isinstance(data.get(part), dict):
            claims.update(data[part])
    return claims


def refusal(sociallogin: Any) -> str:
    """Why this login is not allowed ('' when it is): checked for new and returning users."""
    email = services.normalize_email(sociallogin.user.email)
    if not email:
        return "Your identity provider sent no e-mail address."
    if not any(
        a.verified and services.normalize_email(a.email) == email
        for a in sociallogin.email_addresses
    ):
        return f"{email} is not a verified address at your identity provider."
    domain = email.rpartition("@")[2]
    if settings.ALLOWED_EMAIL_DOMAINS and domain not in settings.ALLOWED_EMAIL_DOMAINS:
        return f"Addresses at {domain} may not sign in to this Tokenboard."
    try:
        required = sociallogin.account.get_provider().app.settings.get("required_claims", {})
    except Exception:  # a provider without app settings requires nothing more
        required = {}
    claims = _claims(sociallogin)
    for claim, expected in required.items():
        if str(claims.get(claim, "")) != str(expected):
            return f"Your account is not in this organisation ({claim} does not match)."
    return ""


class CompanySocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        reason = refusal(sociallogin)
        if reason:
            raise ImmediateHttpResponse(
                render(request, "account/not_allowed.html", {"reason": reason}, status=403)
            )
        if sociallogin.is_existing:
            people.link_person(user=sociallogin.user)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return not refusal(sociallogin)

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        people.link_person(user=user)
        return user
