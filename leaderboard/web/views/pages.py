from __future__ import annotations

import datetime as dt
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.paginator import Page, Paginator
from django.db import InterfaceError, OperationalError, connection
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from leaderboard.cache import Cache as RedisCacheBackend
from leaderboard.domain.periods import TREND_DAYS, Period, Scope, period_of, scope_end, unit_of
from leaderboard.domain.rows import Row
from leaderboard.models import Board, BoardSnapshot, Person, Team
from leaderboard.selectors import history, usage
from leaderboard.selectors.boards import archive_rows, requests_left_out
from leaderboard.selectors.history import daily_totals
from leaderboard.selectors.rankings import Ranking
from leaderboard.selectors.site import all_boards, all_teams, boards_visible, site
from leaderboard.services import people
from leaderboard.services.rankings import board_scope, scope_key
from leaderboard.web import charts

PAGE_SIZE = 50
HISTORY_PERIODS = [
    Board.Period.WEEK,
    Board.Period.MONTH,
    Board.Period.QUARTER,
    Board.Period.ALL_TIME,
]


def _history_periods(request: HttpRequest, today: dt.date) -> tuple[str, Period, Period]:
    """The period a person or team page shows (?period=), and the days its charts cover
    (all time is charted over the last quarter)."""
    kind = request.GET.get("period")
    if kind not in HISTORY_PERIODS:
        kind = Board.Period.MONTH
    period = period_of(kind, today)
    chart = period_of(Board.Period.QUARTER, today) if kind == Board.Period.ALL_TIME else period
    return kind, period, chart


def _me(request: HttpRequest) -> Person | None:
    return getattr(request.user, "person", None)


def _int(value: str | None, default: int, *, low: int = 0, high: int = 10_000) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/unavailable.html", status=503)


@require_GET
def boards(request: HttpRequest) -> HttpResponse:
    state = site()
    if not state.boards_visible:
        return _unavailable(request)
    me, today = _me(request), timezone.now().date()
    cards = []
    every = all_boards(state.boards_version)
    for board in [b for b in every if b.status != Board.Status.RETIRED]:
        as_of = board.paused_at.date() if board.paused_at else None
        period = period_of(board.period, as_of or today)
        ranking = Ranking(
            board_scope(board, lens=board.metric, period=period, as_of=as_of),
            version=state.usage_version,
            reader=me.pk if me else None,
        )
        mine = ranking.positions([me.pk]).get(me.pk) if me else None
        cards.append(
            {
                "board": board,
                "period": period,
                "top": ranking.page(limit=3),
                "mine": mine,
                "count": ranking.count() if mine else 0,
                "unit": unit_of(board.metric),
            }
        )
    archived = [
        b
        for b in every
        if b.status == Board.Status.RETIRED and b.retired_view == Board.RetiredView.ARCHIVE
    ]
    return render(request, "leaderboard/boards.html", {"cards": cards, "archived": archived})


@require_GET
@vary_on_headers("HX-Request")
def board(request: HttpRequest, slug: str) -> HttpResponse:
    state = site()
    board = next((b for b in all_boards(state.boards_version) if b.slug == slug), None)
    if board is None:
        raise Http404("No such board.")
    if not state.boards_visible:
        return _unavailable(request)
    if board.status == Board.Status.RETIRED:
        if board.retired_view == Board.RetiredView.HIDDEN:
            raise Http404("This board is retired.")
        snapshot = BoardSnapshot.objects.filter(board=board).latest()
        return render(
            request,
            "leaderboard/archive.html",
            {
                "board": board,
                "snapshot": snapshot,
                "rows": archive_rows(snapshot),
                "unit": unit_of(snapshot.lens),
            },
        )
    lens = (
        request.GET.get("lens") if request.GET.get("lens") in Board.Lens.values else (board.metric)
    )
    back = _int(request.GET.get("back"), 0, high=520)
    as_of = board.paused_at.date() if board.paused_at else None
    today = as_of or timezone.now().date()
    period = period_of(board.period, today, back)
    wanted = request.GET.get("team", "").strip()[:120]
    team = _team_called(wanted) if wanted else None
    search = request.GET.get("q", "").strip()[:100]
    scope = board_scope(board, lens=lens, period=period, team=team, as_of=as_of)
    me = _me(request)
    ranking = Ranking(scope, version=state.usage_version, reader=me.pk if me else None)
    total = ranking.count(search)
    page = Paginator(range(total), PAGE_SIZE).get_page(request.GET.get("page"))
    mine = ranking.positions([me.pk]).get(me.pk) if me else None
    # Counting everyone is one more ranking of everyone: reuse the total when nothing filters.
    everyone = (total if not search else ranking.count()) if mine else 0
    previous = (
        Ranking(
            board_scope(
                board,
                lens=lens,
                period=period_of(board.period, today, back + 1),
                team=team,
                as_of=as_of,
            ),
            version=state.usage_version,
        )
        if board.period != Board.Period.ALL_TIME
        else None
    )
    context = {
        "site": state,
        "board": board,
        "lens": lens,
        "lenses": Board.Lens.choices,
        "unit": unit_of(lens),
        "period": period,
        "back": back,
        "team": team,
        "teams": TeamChoices(board, state.boards_version),
        "unknown_team": wanted if wanted and team is None else "",
        "q": search,
        "page": page,
        "total": total,
        "table": StandingsTable(ranking, previous, page, search),
        "mine": mine,
        "mine_on_page": mine is not None
        and not search
        and page.start_index() <= mine.position <= page.end_index(),
        "percentile": round(100 * mine.rank / everyone, 1) if mine and everyone else None,
        "ratio_lens": lens == Board.Lens.CACHE_READ_SHARE,
        "requests_left_out": requests_left_out(board) if lens == Board.Lens.REQUESTS else [],
    }
    template = "leaderboard/board.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#standings"
    return render(request, template, context)


class StandingsTable:
    """A page of standings rows, read only when the template renders them: the template
    caches the rendered rows per stored ranking, page and badge version, so most requests
    never read them."""

    trend_days = TREND_DAYS

    def __init__(self, ranking: Ranking, previous: Ranking | None, page: Page, search: str):
        self.ranking, self.previous, self.page, self.search = ranking, previous, page, search

    @property
    def cache_key(self) -> str:
        # A stored ranking is one scope at one usage version: its rows never change.
        ranked = self.ranking.ranked_scope
        return f"{ranked.pk}:{ranked.version}:{self.page.number}:{self.search}"

    @cached_property
    def rows(self) -> list[Row]:
        offset = self.page.start_index() - 1 if self.page.paginator.count else 0
        return self.ranking.page(offset=offset, limit=PAGE_SIZE, search=self.search)

    @cached_property
    def changes(self) -> dict[int, tuple[str, str, str]]:
        if self.previous is None:
            return {}
        return _changes(self.rows, self.previous.positions([r.person_id for r in self.rows]))

    @cached_property
    def sparklines(self) -> dict[int, list[int]]:
        scope = self.ranking.scope
        end = min(scope_end(scope), timezone.now().date())  # a current period ends today
        return daily_totals([r.person_id for r in self.rows], end, sources=scope.sources)


class PersonHistory:
    """A person's totals and charts, read only when the template renders them: the template
    caches the rendered section per person, period, stacking, rank board and usage version
    (which moves with any change to usage, accounts, people or boards' sources)."""

    def __init__(
        self,
        person: Person,
        period: Period,
        chart_period: Period,
        by: str,
        rank_board: Board | None,
        today: dt.date,
        version: int,
    ) -> None:
        self.person, self.period, self.chart_period, self.by = person, period, chart_period, by
        self.rank_board, self.today, self.version = rank_board, today, version

    @property
    def cache_key(self) -> str:
        board = ""
        if self.rank_board:  # what the rank chart shows of it: its name and what it ranks
            b = self.rank_board
            scope = board_scope(b, lens=b.metric, period=period_of(b.period, self.today))
            board = f"{b.pk}:{scope_key(scope)}:{b.name}"
        return (
            f"{self.person.pk}:{self.period.start}:{self.period.end}:{self.chart_period.start}:"
            f"{self.by}:{self.today}:{self.version}:{board}"
        )

    @cached_property
    def totals(self) -> dict[str, object]:
        return history.totals(people=[self.person.pk], period=self.period)

    @cached_property
    def charts(self) -> dict[str, object]:
        days = history.daily(people=[self.person.pk], period=self.chart_period, by=self.by)
        board = self.rank_board
        return {
            "tokens": charts.tokens_by_day(days),
            "cost": charts.cost_by_day(days),
            "cache": charts.cache_share_by_day(days),
            "rank": charts.rank_over_time(
                history.rank_history(person=self.person, board=board, today=self.today)
            )
            if board
            else None,
        }


def _changes(rows: list[Row], previous: dict[int, Row]) -> dict[int, tuple[str, str, str]]:
    """Rank movement against the previous period: (class, text, description)."""
    changes = {}
    for row in rows:
        before = previous.get(row.person_id)
        if before is None:
            changes[row.person_id] = ("new", "new", "not ranked in the previous period")
        elif before.rank > row.rank:
            changes[row.person_id] = ("up", f"▲ {before.rank - row.rank}", f"up from {before.rank}")
        elif before.rank < row.rank:
            changes[row.person_id] = (
                "down",
                f"▼ {row.rank - before.rank}",
                f"down from {before.rank}",
            )
        else:
            changes[row.person_id] = ("same", "=", "same rank as the previous period")
    return changes


def _team_called(wanted: str) -> Team | None:
    """The team a filter names: by name (any case), or by pk as the team pages link it."""
    team = Team.objects.filter(name__iexact=wanted).first()
    if team is None and wanted.isdigit():
        team = Team.objects.filter(pk=int(wanted)).first()
    return team


class TeamChoices:
    """The teams a board's filter offers: its own, or every team. A few are a <select>;
    thousands (a large company) are a search box whose suggestions load when it is
    first focused, so no page carries every team's name."""

    SELECT_MAX = 30

    def __init__(self, board: Board, version: int | None) -> None:
        self.board, self.version = board, version

    @cached_property
    def all(self) -> list[tuple[int, str]]:
        chosen = [(t.pk, t.name) for t in self.board.teams.all()]  # prefetched
        return sorted(chosen, key=lambda t: t[1]) or all_teams(self.version)

    @property
    def searchable(self) -> bool:
        return len(self.all) > self.SELECT_MAX


@require_GET
def team_names(request: HttpRequest) -> HttpResponse:
    """Suggestions for the team search box: every team's name, as datalist options."""
    response = render(
        request, "leaderboard/team_names.html", {"teams": all_teams(site().boards_version)}
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


NO_SUCH_PERSON = "No such person on Tokenboard."


def _person_or_404(people: QuerySet[Person], public_id: str) -> Person:
    """The person a URL names, or the same 404 whether nobody has that id or they hide."""
    try:
        return people.get(public_id=public_id)
    except Person.DoesNotExist:
        raise Http404(NO_SUCH_PERSON) from None


@require_GET
@vary_on_headers("HX-Request")
def person(request: HttpRequest, public_id: str) -> HttpResponse:
    person = _person_or_404(Person.objects.select_related("team", "manager"), public_id)
    is_owner = person.user_id is not None and person.user_id == request.user.pk
    if person.visibility == Person.Visibility.HIDDEN and not is_owner:
        raise Http404(NO_SUCH_PERSON)
    state = site()
    if not state.boards_visible and not is_owner:
        return _unavailable(request)
    pseudonymous = person.visibility == Person.Visibility.PSEUDONYM and not is_owner
    today = timezone.now().date()
    kind, period, chart_period = _history_periods(request, today)
    by = "model" if request.GET.get("by") == "model" else "source"
    ranked_boards = [b for b in all_boards(state.boards_version) if b.status == Board.Status.ACTIVE]
    rank_board = next(
        (b for b in ranked_boards if b.slug == request.GET.get("board")),
        ranked_boards[0] if ranked_boards else None,
    )
    context = {
        "site": state,
        "person": person,
        "is_owner": is_owner,
        "shown_name": person.shown_name(request.user),
        "pseudonymous": pseudonymous,
        "visibilities": Person.Visibility.choices,
        "kind": kind,
        "periods": HISTORY_PERIODS,
        "period": period,
        "by": by,
        "boards": ranked_boards,
        "rank_board": rank_board,
        "history": PersonHistory(
            person, period, chart_period, by, rank_board, today, state.usage_version
        ),
        "chart_period": chart_period,
    }
    template = "leaderboard/person.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#history"
    return render(request, template, context)


@require_GET
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    if not boards_visible():
        return _unavailable(request)
    today = timezone.now().date()
    kind, period, chart_period = _history_periods(request, today)
    # Pseudonymous and hidden members are in none of it (not the rows, the count or the
    # aggregates): see history.team_members.
    ranking = Ranking(Scope(lens=Board.Lens.TOTAL_TOKENS, period=period, teams=(team.pk,)))
    members = history.team_members(team).values_list("pk", flat=True)
    size = members.count()
    # No team aggregate for a team so small that it would reveal individuals.
    big_enough = size >= settings.TEAM_MIN_SIZE
    return render(
        request,
        "leaderboard/team.html",
        {
            "team": team,
            "kind": kind,
            "periods": HISTORY_PERIODS,
            "period": period,
            "rows": ranking.page(limit=500),
            "size": size,
            "big_enough": big_enough,
            "min_size": settings.TEAM_MIN_SIZE,
            "totals": history.totals(people=members, period=period) if big_enough else None,
            "chart": charts.tokens_by_day(history.daily(people=members, period=chart_period))
            if big_enough
            else None,
            "chart_period": chart_period,
        },
    )


@require_POST
def privacy(request: HttpRequest, public_id: str) -> HttpResponse:
    person = _person_or_404(Person.objects.all(), public_id)
    if person.user_id is None or person.user_id != request.user.pk:
        # As for a missing id: a refusal would tell that this person exists (maybe hidden).
        raise Http404(NO_SUCH_PERSON)
    try:
        people.set_visibility(
            person=person, visibility=request.POST.get("visibility", ""), by=request.user
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"You now appear on boards {person.get_visibility_display().lower()}."
        )
    return redirect("leaderboard:person", public_id=person.public_id)


def _next_url(request: HttpRequest, target: str | None, default: str) -> str:
    """Where to go once signed in: target if it is an address on this site, else default (an
    address or a URL name). A target is never looked up as a URL name: `?next=word` went to
    reverse() and failed as a 500."""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


@login_not_required
@require_GET
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same SSO as everyone; only managers get in."""
    # Only a path on this site: never another host, a scheme-relative //host or javascript:.
    target = _next_url(request, request.GET.get("next"), "admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff:
            return HttpResponseRedirect(target)
        return render(
            request,
            "account/not_allowed.html",
            {"reason": "The admin is for leaderboard managers."},
            status=403,
        )
    return redirect_to_login(target, resolve_url(settings.LOGIN_URL))


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """What the numbers mean (a page with no query of its own: the benchmarks' baseline)."""
    return render(request, "leaderboard/about.html")


@require_GET
def unattributed(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404
    today = timezone.now().date()
    period = period_of(Board.Period.MONTH, today)
    return render(
        request,
        "leaderboard/unattributed.html",
        {
            "period": period,
            "unowned": usage.unowned_usage(start=period.start, end=period.end),
            "accounts": usage.unmatched_accounts()[:100],
        },
    )


def _database_ok() -> bool:
    """Whether pages can read the database: a table every signed-in page reads, not just
    `SELECT 1`, so a lock nobody releases shows here too (within DB_STATEMENT_TIMEOUT)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM django_session LIMIT 1")
        return True
    except Exception:
        return False


DATABASE_ERRORS = (OperationalError, InterfaceError)


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


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        ).ping()
        return "ok"
    except redis.RedisError:
        return "down"


def _cache_status() -> str:
    cache = caches["default"]
    if not isinstance(cache, RedisCacheBackend):
        return "local"
    return "ok" if cache.available() else "down"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers: without Redis the pages still serve (uncached) and
    follow-up work waits in the outbox, so a balancer must not take the site out for it
    ("degraded" says so); 503 only when the database is down."""
    database = "ok" if _database_ok() else "down"
    cache, broker = _cache_status(), _broker_status()
    if database != "ok":
        status = "unavailable"
    elif "down" in (cache, broker):
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "database": database, "cache": cache, "broker": broker},
        status=503 if status == "unavailable" else 200,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def sso_signup(request: HttpRequest) -> HttpResponse:
    """allauth's social signup form, closed for good: it lets an address be typed, and a
    typed address could take over someone else's Person. A sign-in with a verified address
    never needs it (leaderboard.sso); anything that still lands here is refused."""
    request.session.pop("socialaccount_sociallogin", None)  # allauth's pending signup
    return render(
        request,
        "account/not_allowed.html",
        {
            "reason": "Tokenboard takes your address from your identity provider and could "
            "not match it to one account here."
        },
        status=403,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404("Demo sign-in exists only in a local demo run.")
    if request.method == "POST":
        try:
            person_id = int(request.POST.get("person", ""))
        except ValueError:
            return HttpResponseBadRequest("Choose a person to sign in as.")
        person = get_object_or_404(Person, pk=person_id)
        user = people.ensure_user_for_person(person=person)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect(
            _next_url(request, request.POST.get("next"), settings.LOGIN_REDIRECT_URL)
        )
    everyone = Person.objects.select_related("team", "user").order_by("team__name", "display_name")
    return render(
        request,
        "leaderboard/demo_sign_in.html",
        {"people": everyone, "next": request.GET.get("next", "")},
    )
