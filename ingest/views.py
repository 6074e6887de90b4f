"""The data status page: what the boards' numbers rest on, source by source."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import selectors
from .providers import otlp
from .services import receiver

log = logging.getLogger(__name__)


@require_GET
def data_status(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "ingest/data_status.html",
        {"sources": selectors.data_status(now=now), "now": now},
    )


@login_not_required  # exporters carry a bearer token, not a session
@csrf_exempt  # no cookie authenticates this view, so no cross-site request can forge one
@require_POST
def otlp_metrics(request: HttpRequest, connection: str) -> HttpResponse:
    """OTLP/HTTP metrics export (ingest.services.receiver): 200 with an
    ExportMetricsServiceResponse (partial_success when points were refused), 400 for a body
    that cannot be read (not retried by exporters), 401, 413, or 503 to retry later."""
    kind = otlp.JSON_TYPE if "json" in (request.content_type or "") else otlp.PROTOBUF

    def answer(status: int, message: str, **headers: str) -> HttpResponse:
        body = otlp.status(message=message, kind=kind)
        return HttpResponse(body, status=status, content_type=kind, headers=headers)

    limit = settings.OTLP_MAX_BODY_BYTES
    try:
        target = receiver.authenticate(
            name=connection, authorization=request.headers.get("Authorization", "")
        )
        body = request.read(limit + 1)
        received = receiver.receive_metrics(
            connection=target,
            body=body,
            content_type=request.headers.get("Content-Type", ""),
            content_encoding=request.headers.get("Content-Encoding", ""),
        )
    except receiver.Unauthorized as exc:
        return answer(401, str(exc), **{"WWW-Authenticate": "Bearer"})
    except receiver.TooLarge as exc:
        return answer(413, f"{exc}; the limit is {limit} bytes (OTLP_MAX_BODY_BYTES)")
    except receiver.BadPayload as exc:
        return answer(400, str(exc))
    except DatabaseError:
        log.exception("the OpenTelemetry receiver %s could not store a request", connection)
        return answer(503, "Tokenboard cannot store data right now; retry later", **RETRY_LATER)
    response = otlp.response(rejected=received.rejected, message=received.message, kind=kind)
    return HttpResponse(response, content_type=kind)


RETRY_LATER = {"Retry-After": "60"}
