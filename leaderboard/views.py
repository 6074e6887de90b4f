from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .models import Person

PAGE_SIZE = 50


@require_GET
def standings(request: HttpRequest) -> HttpResponse:
    period = selectors.month_of(timezone.now().date())
    page = Paginator(selectors.standings(period=period), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "leaderboard/standings.html", {"period": period, "page": page})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        return "ok"
    except redis.RedisError:
        return "down"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = "ok" if _database_ok() else "down"
    broker = _broker_status()
    healthy = database == "ok" and broker != "down"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404("Demo sign-in exists only in a local demo run.")
    if request.method == "POST":
        person = get_object_or_404(Person, pk=request.POST.get("person"))
        user = services.ensure_user_for_person(person=person)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = settings.LOGIN_REDIRECT_URL
        return redirect(target)
    people = Person.objects.select_related("team").order_by("team__name", "display_name")
    return render(
        request,
        "leaderboard/demo_sign_in.html",
        {"people": people, "next": request.GET.get("next", "")},
    )
