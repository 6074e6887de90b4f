"""The health check for load balancers, and the 500 handler that turns a database outage
into a short 503 page."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from leaderboard.selectors.health import health

DATABASE_ERRORS = (OperationalError, InterfaceError)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers: without Redis the pages still serve (uncached) and
    follow-up work waits in the outbox, so a balancer must not take the site out for it
    ("degraded" says so); 503 only when the database is down."""
    found = health()
    return JsonResponse(
        {
            "status": found.status,
            "database": found.database,
            "cache": found.cache,
            "broker": found.broker,
        },
        status=503 if found.status == "unavailable" else 200,
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that is down, frozen or past its statement timeout gets a
    short 503 page that asks to try again (rendered without touching the database);
    anything else, Django's own 500 page."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        return response
    return defaults.server_error(request)
