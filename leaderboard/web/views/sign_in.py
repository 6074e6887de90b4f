"""Signing in: the admin's door (SSO, managers only), allauth's closed signup form, and the
demo's pick-a-person sign-in (DEMO_MODE only)."""

from __future__ import annotations

from allauth.account.views import login as allauth_login
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http import HttpResponseRedirect as Redirect
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from leaderboard.models import Person
from leaderboard.selectors.people import demo_people
from leaderboard.services.people import ensure_user_for_person


def next_url(request: HttpRequest, target: str | None, default: str) -> str:
    """Where to go once signed in: target if it is an address on this site, else default (an
    address or a URL name). A target is never looked up as a URL name: `?next=word` went to
    reverse() and failed as a 500."""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "account/not_allowed.html", {"reason": reason}, status=403)


@login_not_required
@require_GET
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same SSO as everyone; only managers get in."""
    # Only a path on this site: never another host, a scheme-relative //host or javascript:.
    target = next_url(request, request.GET.get("next"), "admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target, resolve_url(settings.LOGIN_URL))
    if request.user.is_staff:
        return Redirect(target)
    return refused(request, "The admin is for leaderboard managers.")


@login_not_required
@require_http_methods(["GET", "POST"])
def sso_signup(request: HttpRequest) -> HttpResponse:
    """allauth's social signup form, closed for good: it lets an address be typed, and a
    typed address could take over someone else's Person. A sign-in with a verified address
    never needs it (leaderboard.web.sso); anything that still lands here is refused."""
    request.session.pop("socialaccount_sociallogin", None)  # allauth's pending signup
    return refused(
        request,
        "Tokenboard takes your address from your identity provider and could "
        "not match it to one account here.",
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404("Demo sign-in exists only in a local demo run.")
    if request.method == "GET":
        context = {"people": demo_people(), "next": request.GET.get("next", "")}
        return render(request, "leaderboard/demo_sign_in.html", context)
    try:
        person_id = int(request.POST.get("person", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose a person to sign in as.")
    user = ensure_user_for_person(person=get_object_or_404(Person, pk=person_id))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return Redirect(next_url(request, request.POST.get("next"), settings.LOGIN_REDIRECT_URL))


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """allauth's sign-in page; in the demo it has no provider to offer (an empty "Sign In"
    with no way on), so it sends to the demo's pick-a-person page, keeping `next`."""
    if settings.DEMO_MODE:
        return redirect_to_login(
            next_url(request, request.GET.get("next"), settings.LOGIN_REDIRECT_URL),
            resolve_url("leaderboard:demo-sign-in"),
        )
    response: HttpResponse = allauth_login(request)  # allauth's views are untyped
    return response
