"""What every view shares: the typed htmx request, request parsing, how a selector's
NotFound and BoardsHidden become a 404 and a 503, and the view log."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from leaderboard.models import Person
from leaderboard.selectors.boards import BoardsHidden, NotFound
from leaderboard.services import page_views

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (its documented typing pattern)."""

    htmx: HtmxDetails


def reader_of(request: HttpRequest) -> Person | None:
    """The Person of the signed-in user, if they have one."""
    return getattr(request.user, "person", None)


def bounded_int(value: str | None, default: int, *, low: int = 0, high: int = 10_000) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/unavailable.html", status=503)


def shows_selector_errors[R: HttpRequest, **P](
    view: Callable[Concatenate[R, P], HttpResponse],
) -> Callable[Concatenate[R, P], HttpResponse]:
    """NotFound from a selector is a 404 with its message; BoardsHidden, the 503 page."""

    @functools.wraps(view)
    def wrapped(request: R, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from None
        except BoardsHidden:
            return unavailable(request)

    return wrapped


def logs_views[R: HttpRequest, **P](
    kind: str, key: str
) -> Callable[
    [Callable[Concatenate[R, P], HttpResponse]], Callable[Concatenate[R, P], HttpResponse]
]:
    """Log each successful view by a signed-in user in the view log, with the URL argument
    named key as its target (one INSERT: the user is already loaded by the sign-in check)."""

    def decorate(
        view: Callable[Concatenate[R, P], HttpResponse],
    ) -> Callable[Concatenate[R, P], HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: R, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and request.user.is_authenticated:
                page_views.record_view(
                    viewer_id=request.user.pk,
                    kind=kind,
                    target=str(kwargs.get(key, "")),
                    query=request.GET.urlencode(),
                )
            return response

        return wrapped

    return decorate


def page_context(page: DataclassInstance) -> dict[str, object]:
    """A page dataclass as a template context, one key per field (not copied deeply)."""
    return {field.name: getattr(page, field.name) for field in dataclasses.fields(page)}


def htmx_part(request: HtmxHttpRequest, template: str, part: str) -> str:
    """The template, or only its named partial for an htmx swap (a history restore gets the
    whole page)."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{part}"
    return template
