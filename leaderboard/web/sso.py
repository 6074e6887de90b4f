"""Company sign-in rules for allauth: who may sign in, and linking them to their Person.

The address the identity provider verified is the only thing that says who someone is: a
sign-in becomes the user who owns that address (the one linked to the Person with it),
whatever provider or provider account (`sub`) it comes from, and nothing typed into a form
can choose or change it.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leaderboard.domain import text
from leaderboard.domain.text import clean_text
from leaderboard.models import User
from leaderboard.selectors import people
from leaderboard.services import people as service_people


def _claims(sociallogin: Any) -> dict[str, Any]:
    data = sociallogin.account.extra_data or {}
    claims = dict(data)
    for part in ("id_token", "userinfo"):
        if isinstance(data.get(part), dict):
            claims.update(data[part])
    return claims


def verified_address(sociallogin: Any) -> str:
    """The e-mail address the identity provider verified, normalised; '' when it verified
    none (or several different ones: then it does not say who this is)."""
    verified = {text.normalize_email(a.email) for a in sociallogin.email_addresses if a.verified}
    verified.discard("")
    return verified.pop() if len(verified) == 1 else ""


def refusal(sociallogin: Any) -> str:
    """Why this login is not allowed ('' when it is): checked for new and returning users."""
    claimed = [text.normalize_email(a.email) for a in sociallogin.email_addresses]
    if not any(claimed):
        return "Your identity provider sent no e-mail address."
    email = verified_address(sociallogin)
    if not email:
        return (
            f"{next(c for c in claimed if c)} is not a verified address at your identity provider."
        )
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
    if sociallogin.is_existing:
        # A known provider account whose address now belongs to someone else's login.
        owner = people.owner_of_email(email)
        if owner is not None and owner.pk != sociallogin.user.pk:
            return f"{email} belongs to another Tokenboard account."
    return ""


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "account/not_allowed.html", {"reason": reason}, status=403)


def _without_nul(value: Any) -> Any:
    """The provider's raw data as PostgreSQL can store it (jsonb refuses \\u0000)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _full_name(user: User) -> str:
    return " ".join(p for p in [user.first_name, user.last_name] if p)


class CompanySocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        sociallogin.account.extra_data = _without_nul(sociallogin.account.extra_data)
        user = super().populate_user(request, sociallogin, data)
        for field in ("first_name", "last_name", "username"):
            limit = User._meta.get_field(field).max_length
            setattr(user, field, clean_text(getattr(user, field), max_length=limit))
        user.email = text.normalize_email(user.email)
        for address in sociallogin.email_addresses:
            address.email = text.normalize_email(address.email)
        return user

    def authenticate_by_email(self, sociallogin: Any) -> tuple[User, str] | None:
        # A second provider, a re-created provider account (new `sub`) or the same address
        # in other letter case: the login that owns the verified address, never a new one
        # (allauth would offer its signup form, where an address could be typed).
        email = verified_address(sociallogin)
        owner = people.owner_of_email(email) if email else None
        return (owner, email) if owner is not None else None

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        reason = refusal(sociallogin)
        if reason:
            raise ImmediateHttpResponse(refused(request, reason))
        if sociallogin.is_existing:
            service_people.link_person(
                user=sociallogin.user,
                email=verified_address(sociallogin),
                name=_full_name(sociallogin.user),
            )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return not refusal(sociallogin)

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        # No form ever chooses anything here: the address is the one the provider verified.
        email = verified_address(sociallogin)
        sociallogin.user.email = email
        user = super().save_user(request, sociallogin, form=None)
        service_people.link_person(user=user, email=email, name=_full_name(user))
        return user
