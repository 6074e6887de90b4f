"""Request parameters that no view can look up or store are refused here, once for every
view, before any of them reaches the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict

from leaderboard.db import routers

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


# A client that wrote (a POST: sign-in, privacy, a flag's note) reads the primary for this
# long: the page it is sent to next shows its write unless the replica lags by more.
PRIMARY_COOKIE = "tb_primary"
PRIMARY_AFTER_WRITE_SECONDS = 10
REPLICA_NAMESPACES = frozenset({"leaderboard", "badges"})


class ReplicaReads:
    """With a read replica (DATABASE_REPLICA_URL), a GET or HEAD of a leaderboard or badges
    page reads its tables from the replica (leaderboard.db.routers); every other request,
    and a client that wrote within PRIMARY_AFTER_WRITE_SECONDS, reads the primary. It runs
    after the sign-in check, so the session and the user are read on the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = routers.begin_request()
        try:
            response = self.get_response(request)
        finally:
            routers.end_request(token)
        if routers.replica_configured() and request.method not in ("GET", "HEAD"):
            response.set_cookie(
                PRIMARY_COOKIE,
                "1",
                max_age=PRIMARY_AFTER_WRITE_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: object,  # never called here
        args: Sequence[object],
        kwargs: Mapping[str, object],
    ) -> None:
        match = request.resolver_match
        if (
            request.method in ("GET", "HEAD")
            and match is not None
            and match.namespace in REPLICA_NAMESPACES
            and PRIMARY_COOKIE not in request.COOKIES
        ):
            routers.use_replica()
