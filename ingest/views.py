"""The data status page: what the boards' numbers rest on, source by source."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def data_status(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "ingest/data_status.html",
        {"sources": selectors.data_status(now=now), "now": now},
    )
