"""Pages read from a streaming read replica (DATABASE_REPLICA_URL), writes land on the primary.

A throwaway primary and a standby replaying it run on loopback (tests/replica_cluster.py);
the demo is seeded and ranked on the primary by `manage.py`, and gunicorn serves it with
DATABASE_URL=primary and DATABASE_REPLICA_URL=standby. Both servers log every statement, so
which one a page's reads went to is read from their logs, not assumed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import elements, rows, script_json
from tests.replica_cluster import Cluster, bin_dir, cluster, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PLACES = "leaderboard_place"
VIEWS = "leaderboard_pageview"


@pytest.fixture(scope="module")
def pg() -> Iterator[Cluster]:
    if bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the replica test: install the PostgreSQL server binaries")
        pytest.skip("needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    with cluster() as made:
        yield made


def app_env(pg: Cluster, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    return {
        **env,
        "DATABASE_URL": pg.primary.url,
        "REDIS_URL": "",  # tasks run in-process: the seed ranks the boards as it commits
        "DEBUG": "true",  # the demo sign-in
        "SECRET_KEY": "replica-test-key",
        "LOG_LEVEL": "WARNING",
        **more,
    }


def manage(pg: Cluster, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=app_env(pg),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# What the primary has stored for a board's scope at the current usage version: never
# ranked here (a KeyError if nobody stored it), so the page is compared with stored rows.
STORED = """
import json
from django.utils import timezone
from leaderboard.domain.periods import period_of
from leaderboard.models import Board, Place, RankedScope
from leaderboard.services.rankings import board_scope, current_version, scope_key
board = Board.objects.get(slug={slug!r})
period = period_of(board.period, timezone.now().date(), 0)
scope = board_scope(board, lens={lens!r} or board.metric, period=period)
ranked = RankedScope.objects.get(key=scope_key(scope), version=current_version())
places = Place.objects.filter(scope=ranked).order_by("position")
print(json.dumps({{"version": ranked.version, "places": [
    [p.public_id, p.rank, int(p.total_tokens)] for p in places]}}))
"""


RANK_BOARDS = "from leaderboard.services.rankings import rank_boards; rank_boards()"


def stored_places(
    pg: Cluster, slug: str, lens: str = "total_tokens"
) -> tuple[int, list[tuple[str, int, int]]]:
    """The places stored on the primary for the board's current period in a lens (""
    the board's own), by position: (public id, rank, total tokens)."""
    script = STORED.format(slug=slug, lens=lens)
    found = json.loads(manage(pg, "shell", "-c", script).splitlines()[-1])
    return found["version"], [tuple(p) for p in found["places"]]


def page_rows(body: str) -> list[tuple[str, int, int]]:
    """(public id, rank, value) of each ranked row of a board page, the reader's pinned copy
    of their own left out; the value is the cell's exact title (total tokens in that lens)."""
    return [
        (
            row.person,
            int(row.rank),
            int(elements(row.html, "td", title=None)[0].attrs["title"] or ""),
        )
        for row in rows(body)
        if not row.pinned
    ]


@pytest.fixture(scope="module")
def server(pg: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    manage(pg, "migrate", "--no-input")
    manage(pg, "seed_demo", "--days", "14")
    manage(pg, "shell", "-c", RANK_BOARDS)
    pg.caught_up()
    port = free_port()
    log = (tmp_path_factory.mktemp("replica") / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "leaderboard.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=app_env(pg, DATABASE_REPLICA_URL=pg.standby.url),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "gunicorn died"
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def signed_in(base: str) -> tuple[httpx.Client, str]:
    """A client signed in through the demo sign-in as a non-manager, and their person pk."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/accounts/demo/")
    assert form.status_code == 200
    csrf = client.cookies["csrftoken"]
    person = re.findall(r'<option value="(\d+)">[^<(]+</option>', form.text)[0]
    answer = client.post(
        "/accounts/demo/", data={"person": person, "csrfmiddlewaretoken": csrf, "next": "/"}
    )
    assert answer.status_code == 302, answer.text[:500]
    # The sign-in wrote: this client reads the primary for a few seconds (its next page
    # must see the write). The page checks below are about the replica: drop the mark.
    assert answer.cookies.get("tb_primary") == "1"
    client.cookies.delete("tb_primary")
    return client, person


def logged(pg: Cluster, client: httpx.Client, url: str) -> tuple[httpx.Response, str, str]:
    """A page, and the statements the primary and the standby ran while serving it."""
    primary_log, standby_log = len(pg.primary.log_text()), len(pg.standby.log_text())
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    return page, pg.primary.log_text()[primary_log:], pg.standby.log_text()[standby_log:]


def read_on_standby(primary: str, standby: str) -> None:
    """The page's usage version, stored ranking and places were read on the standby only."""
    for table in ("leaderboard_usageversion", "leaderboard_rankedscope", PLACES):
        assert table in standby
        assert table not in primary


def test_pages_read_the_replica_and_write_the_primary(pg: Cluster, server: str) -> None:
    client, person = signed_in(server)
    session = client.cookies["sessionid"]
    # The sign-in gave the person a user, which moves the usage version: store the boards
    # at the new one, as the worker's rank_boards does after a change, and let it replay.
    manage(pg, "shell", "-c", RANK_BOARDS)
    pg.caught_up()
    index = client.get("/")
    assert index.status_code == 200
    slug = re.findall(r'href="/boards/([\w-]+)/"', index.text)[0]
    board, primary, standby = logged(pg, client, f"/boards/{slug}/?lens=total_tokens&back=0")
    rows = page_rows(board.text)
    who = rows[3][0]
    person_page = client.get(f"/people/{who}/", params={"board": slug})
    assert person_page.status_code == 200

    # (a) the board's rows are the ranking stored on the primary: people, ranks, tokens
    version, places = stored_places(pg, slug)
    assert len(places) > 5
    assert rows == places[: len(rows)]
    # the person page's rank chart ends at their stored place on the board's own lens
    _, own_lens = stored_places(pg, slug, lens="")
    ranks = script_json(person_page.text, "chart-rank")["data"][0]["y"]
    assert ranks[-1] == next(rank for public_id, rank, _ in own_lens if public_id == who)

    # (b) the board's reads (usage version, stored ranking, places) went to the standby,
    # none to the primary: each server logs every statement it runs
    read_on_standby(primary, standby)
    assert "django_session" in primary  # the session: read where it was written

    # (c) the writes landed on the primary: the sign-in's session, the page-view log
    assert (
        pg.primary.one("SELECT count(*) FROM django_session WHERE session_key = %s", session) == 1
    )
    viewed = pg.primary.one(
        f"SELECT count(*) FROM {VIEWS} v JOIN leaderboard_user u ON u.id = v.viewer_id "  # noqa: S608
        "JOIN leaderboard_person p ON p.user_id = u.id WHERE p.id = %s",
        int(person),
    )
    assert viewed >= 2  # the board and the person page
    assert f"INSERT INTO {VIEWS}" in primary
    assert "INSERT" not in standby and "UPDATE" not in standby

    # (d) a new import on the primary (the second passes the first by a modest day, which no
    # gaming rule holds): once the standby has replayed it, the page shows the new ranking
    second = places[1][0]
    email = pg.primary.one("SELECT email FROM leaderboard_person WHERE public_id = %s", second)
    gap = places[0][2] - places[1][2] + 1_000
    usage = Path(pg.root) / "usage.csv"
    with usage.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["day", "email", "model", "input", "output"])
        today = dt.datetime.now(dt.UTC).date().isoformat()
        writer.writerow([today, email, "gateway-model", gap - gap // 2, gap // 2])
    manage(pg, "import_usage", str(usage), "--source", "gateway")
    pg.caught_up()
    board, primary, standby = logged(pg, client, f"/boards/{slug}/?lens=total_tokens&back=0")
    read_on_standby(primary, standby)
    new_version, new_places = stored_places(pg, slug)
    assert new_version > version
    assert new_places[0] == (second, 1, places[1][2] + gap)
    rows = page_rows(board.text)
    assert rows == new_places[: len(rows)]


def import_tokens(pg: Cluster, email: str, tokens: int) -> None:
    """A usage file with one day of tokens for a person, imported on the primary (half input,
    half output: a modest day no gaming rule holds)."""
    usage = Path(pg.root) / "usage.csv"
    with usage.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["day", "email", "model", "input", "output"])
        today = dt.datetime.now(dt.UTC).date().isoformat()
        writer.writerow([today, email, "gateway-model", tokens - tokens // 2, tokens // 2])
    manage(pg, "import_usage", str(usage), "--source", "gateway")


# Stored rankings behind the usage version of their days: the last change not about days, or
# the last change to one of the scope's days (leaderboard.db.counters.span_version_sql).
STALE_RANKINGS = (
    "SELECT count(*) FROM leaderboard_rankedscope s WHERE s.version < GREATEST("
    "COALESCE((SELECT everything FROM leaderboard_usageversion WHERE id = 1), 0), "
    "COALESCE((SELECT MAX(d.number) FROM leaderboard_usageday d "
    "WHERE d.day BETWEEN s.first_day AND s.last_day), 0))"
)


def test_a_ranking_a_lagging_replica_lacks_is_ranked_on_the_primary_at_its_version(
    pg: Cluster, server: str
) -> None:
    """The standby stops replaying; an import moves the primary's usage version on. A team's
    view of the board, which nobody has stored, is ranked and stored on the primary (the
    standby is read-only) under the primary's version, not the standby's older one, and the
    page shows the new usage."""
    client, _ = signed_in(server)
    manage(pg, "shell", "-c", RANK_BOARDS)
    pg.caught_up()
    slug = re.findall(r'href="/boards/([\w-]+)/"', client.get("/").text)[0]
    _, places = stored_places(pg, slug)
    totals = {public_id: tokens for public_id, _, tokens in places}
    who, email, team = next(
        row
        for row in psycopg_rows(
            pg,
            "SELECT p.public_id, p.email, t.name FROM leaderboard_person p"
            " JOIN leaderboard_team t ON t.id = p.team_id WHERE p.visibility = 'name'",
        )
        if row[0] in totals
    )
    version = "SELECT number FROM leaderboard_usageversion WHERE id = 1"
    pg.standby.one("SELECT pg_wal_replay_pause()")
    try:
        import_tokens(pg, email, 2_000)
        assert pg.standby.one(version) < pg.primary.one(version)  # type: ignore[operator]
        page = client.get(f"/boards/{slug}/", params={"lens": "total_tokens", "team": team})
        assert page.status_code == 200, page.text[:500]
        assert (who, totals[who] + 2_000) in [(p, tokens) for p, _, tokens in page_rows(page.text)]
        # nothing stored under a version older than its days' (the standby's): every stored
        # ranking is at least its scope's version on the primary (leaderboard.db.counters)
        assert pg.primary.one(STALE_RANKINGS) == 0
    finally:
        pg.standby.one("SELECT pg_wal_replay_resume()")
    pg.caught_up()


def psycopg_rows(pg: Cluster, sql: str) -> list[tuple[str, str, str]]:
    with pg.primary.connect() as conn:
        return conn.execute(sql).fetchall()  # type: ignore[return-value]


def test_a_stopped_replica_fails_pages_but_not_a_client_that_just_wrote(
    pg: Cluster, server: str
) -> None:
    client, _ = signed_in(server)
    index = client.get("/")
    slug = re.findall(r'href="/boards/([\w-]+)/"', index.text)[0]
    pg.stop(pg.standby)
    try:
        page = client.get(f"/boards/{slug}/")
        assert page.status_code >= 500  # it read the standby, now gone
        client.cookies.set("tb_primary", "1")
        page = client.get(f"/boards/{slug}/")
        assert page.status_code == 200  # reads the primary
    finally:
        pg.start(pg.standby)
        pg.caught_up()
