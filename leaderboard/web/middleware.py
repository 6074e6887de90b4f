"""Request parameters that no view can look up or store are refused here, once for every
view, before any of them reaches the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict

# PostgreSQL cannot hold NUL in text ("A string literal cannot contain NUL"), so a NUL in a
# search, a filter or a form field failed as a 500 the moment a view compared it with a
# column. No honest browser sends one. Every other character is storable: a view treats it
# as text that matches nothing.
UNSTORABLE = "\x00"
REFUSAL = "Tokenboard does not accept a NUL character in an address or a form field."


def _unstorable(params: QueryDict) -> bool:
    return any(
        UNSTORABLE in key or any(UNSTORABLE in value for value in values)
        for key, values in params.lists()
    )


class RejectUnstorableInput:
    """Answer 400 to a request whose path, query or form carries a NUL character.

    It runs as a view is about to be called (after the sign-in check, so an anonymous
    visitor is still sent to sign in) and reads the form only of a POST, which the CSRF
    check before it has already parsed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: object,  # never called here
        args: Sequence[object],
        kwargs: Mapping[str, object],
    ) -> HttpResponse | None:
        if (
            UNSTORABLE in request.path_info
            or _unstorable(request.GET)
            or (request.method == "POST" and _unstorable(request.POST))
        ):
            return HttpResponseBadRequest(REFUSAL, content_type="text/plain; charset=utf-8")
        return None


class PresentationMode:
    """?present=1 turns presentation mode on for the session (everyone under a pseudonym),
    ?present=0 off; request.presenting says which, for the templates."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = request.GET.get("present")
        if asked in ("0", "1"):
            request.session["present"] = asked == "1"
        # the session is the signed-in user's, already read by the sign-in check
        request.presenting = bool(request.session.get("present", False))  # type: ignore[attr-defined]  # our own attribute
        return self.get_response(request)
