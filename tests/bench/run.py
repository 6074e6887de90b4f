"""Benchmarks: each figure is a ratio against a baseline measured in the same run.

Run by `make bench` as `python -m tests.bench --scale quick` (see `__main__.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis
from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from leaderboard import facts, rankings
from leaderboard.csv_export import csv_writer
from leaderboard.models import Account, Board, Person, Source, UsageFact
from leaderboard.people import ensure_user_for_person

SIZES = {
    "quick": {"people": 5_000, "days": 60, "rows": 200_000, "files": [50_000, 200_000]},
    "full": {"people": 100_000, "days": 365, "rows": 1_000_000, "files": [250_000, 1_000_000]},
}
GOALS = {
    "ingest_vs_copy": (">=", 0.5),
    "reingest_vs_copy": (">=", 0.4),
    "standings_vs_bare": (">=", 0.5),
    "person_vs_bare": (">=", 0.4),
    "badges_vs_scan": ("<=", 10),
    "repull_100k_unanalysed_s": ("<=", 10),
    "import_peak_rss_mb": ("<=", 300),
    "page_errors": ("<=", 0),
    "load_errors": ("<=", 0),
}
ROOT = Path(settings.BASE_DIR)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class BenchError(Exception):
    """The bench cannot run or measure: the message says why."""


def copy_rows(cursor: Any, table: str, columns: str, rows: list[tuple]) -> None:
    """Plain COPY of rows into table: the baseline, and the ceilings."""
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Build benchmark data in this database and print ratios "
        "(see tests/bench/RESULTS.md).",
    )
    parser.add_argument("--scale", choices=list(SIZES), default="quick")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench.json"))
    parser.add_argument("--skip-seed", action="store_true", help="reuse the data already here")
    options = vars(parser.parse_args(argv))
    try:
        Bench().handle(**options)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


class Bench:
    def handle(self, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise BenchError(
                "The benchmarks need PostgreSQL: set DATABASE_URL "
                "(make bench does, with BENCH_DATABASE_URL)."
            )
        size = SIZES[options["scale"]]
        self.figures: dict[str, Any] = {"scale": options["scale"]}
        if not options["skip_seed"]:
            seconds = timed(
                lambda: call_command("seed_scale", people=size["people"], days=size["days"])
            )
            self.figures["seed_seconds"] = round(seconds, 1)
        self.figures["facts"] = UsageFact.objects.count()
        self.figures["people"] = Person.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.repull_unanalysed(100_000)
        self.ingest(size["rows"])
        self.badges()
        self.imports(size["files"])
        # Sign in first: a first sign-in links a login to a person, which moves the usage
        # version on, so the rankings stored next would be stale before the pages read them.
        person = Person.objects.filter(email__endswith="@scale.example.com").order_by("pk").first()
        cookie = self._session(person)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after the bulk loads above
        self.rank()
        self.pages(cookie, load=options["scale"] == "full")
        if options["scale"] == "full":
            self.sizes()
        self.report(Path(options["output"]))

    # --- ingest ----------------------------------------------------------------------------
    def ingest(self, count: int) -> None:
        """Facts per second through the real write path, against plain COPY."""
        rng = random.Random(7)
        source = Source.objects.get(name="scale-openai")
        # seed_scale names each source's accounts' provider after it (a DISTINCT over the
        # source's facts would scan millions of rows).
        accounts = list(
            Account.objects.filter(provider=source.name)
            .order_by("pk")
            .values_list("pk", flat=True)[:20_000]
        )
        start = timezone.now().date() + dt.timedelta(days=30)  # days no fact has yet
        now = timezone.now()
        rows = []
        for i in range(count):
            day = start + dt.timedelta(days=i // len(accounts))
            tokens = rng.randint(1_000, 50_000_000)
            rows.append(
                (
                    source.pk,
                    day,
                    accounts[i % len(accounts)],
                    "gpt-5",
                    tokens // 2,
                    tokens // 4,
                    tokens // 20,
                    tokens // 10,
                    5,
                    Decimal(tokens) / 10_000_000,
                    True,
                    now,
                )
            )
        columns = ", ".join(facts.COLUMNS)

        def copy_once() -> float:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_copy")
                cursor.execute(
                    f"CREATE TABLE bench_copy AS SELECT {columns} "  # noqa: S608
                    f"FROM {UsageFact._meta.db_table} WITH NO DATA"
                )
                seconds = timed(lambda: copy_rows(cursor, "bench_copy", columns, rows))
                cursor.execute("DROP TABLE bench_copy")
            return seconds

        # The baseline of three ratios: the median of three, as one COPY here varied by half.
        copy_seconds = statistics.median(copy_once() for _ in range(3))
        # As a pull writes them: the first pull of new days, the next pull an hour later
        # reading the same rows again, and a third in which every value was revised.
        again = [(*r[:-1], now + dt.timedelta(hours=1)) for r in rows]
        revised = [(*r[:7], r[7] + 1, *r[8:-1], now + dt.timedelta(hours=2)) for r in rows]
        ingest_seconds = timed(lambda: facts.upsert(rows, keep_unchanged=True))
        reingest_seconds = timed(lambda: facts.upsert(again, keep_unchanged=True))
        revised_seconds = timed(lambda: facts.upsert(revised, keep_unchanged=True))
        facts.forget_seen(source_id=source.pk, through=revised[0][-1])
        UsageFact.objects.filter(day__gte=start).delete()
        self.figures |= {
            "ingest_rows": count,
            "copy_rows_per_s": round(count / copy_seconds),
            "ingest_rows_per_s": round(count / ingest_seconds),
            "ingest_vs_copy": round(copy_seconds / ingest_seconds, 3),
            "reingest_vs_copy": round(copy_seconds / reingest_seconds, 3),
            "revised_vs_copy": round(copy_seconds / revised_seconds, 3),
        }
        self._ingest_ceilings(rows, columns, copy_seconds)

    def _ingest_ceilings(self, rows: list[tuple], columns: str, copy_seconds: float) -> None:
        """What the facts' own indexes allow any write path that keeps them: the same rows,
        in key order, COPYed (nothing staged, merged or checked) into an empty table with
        those indexes, as a partition of its own would be; and into the facts themselves with
        no trigger, rolled back. Measured after the figures above, on days none writes."""
        table = UsageFact._meta.db_table
        # in the natural key's order, as ingest writes them
        later = facts.in_key_order((*r[:1], r[1] + dt.timedelta(days=400), *r[2:]) for r in rows)

        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_indexed")
            cursor.execute(
                f"CREATE TABLE bench_indexed (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
            empty_seconds = timed(lambda: copy_rows(cursor, "bench_indexed", columns, later))
            cursor.execute("DROP TABLE bench_indexed")
        with transaction.atomic(), connection.cursor() as cursor:
            # replica: no trigger fires (a superuser's setting: the bench's own database)
            cursor.execute("SET LOCAL session_replication_role = replica")
            live_seconds = timed(lambda: copy_rows(cursor, table, columns, later))
            transaction.set_rollback(True)
        self.figures |= {
            "indexed_copy_vs_copy": round(copy_seconds / empty_seconds, 3),
            "facts_copy_vs_copy": round(copy_seconds / live_seconds, 3),
        }

    def repull_unanalysed(self, count: int) -> None:
        """A re-pull of count facts, pruned, where no statistics describe them: a new source's
        first pull and its next, in one transaction rolled back at the end. Rows no other
        transaction can see are never analysed, so the planner guesses, as on a fresh
        database or with autovacuum off (before the fix, 24,000 facts took 25 s)."""
        people, day = 2_000, dt.date(2100, 1, 1)  # days no statistics reach
        now = timezone.now()
        with transaction.atomic():
            source = Source.objects.create(name="bench-unanalysed", provider="bench-unanalysed")
            Account.objects.bulk_create(
                Account(provider=source.provider, external_id=f"u{i}") for i in range(people)
            )
            ids = list(
                Account.objects.filter(provider=source.provider)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            rows = [
                (
                    *(source.pk, day + dt.timedelta(days=i // people), ids[i % people], "gpt-5"),
                    *(1_000, 0, 0, 100, 1, None, False, now),
                )
                for i in range(count)
            ]
            facts.upsert(rows, keep_unchanged=True)
            later = now + dt.timedelta(hours=1)
            again = [(*r[:-1], later) for r in rows[: count - count // 100]]  # 1% revised away

            def repull() -> None:
                facts.upsert(again, keep_unchanged=True)
                end = day + dt.timedelta(days=count // people)
                facts.prune(source_id=source.pk, start=day, end=end, pulled_at=later)
                facts.forget_seen(source_id=source.pk, through=later)

            self.figures["repull_100k_unanalysed_s"] = round(timed(repull), 2)
            transaction.set_rollback(True)

    # --- badges ----------------------------------------------------------------------------
    def badges(self) -> None:
        """A full evaluation of the catalogue, against one SUM ... GROUP BY person."""
        # Through the command and the app registry: the leaderboard app never imports badges.
        award = apps.get_model("badges", "Award")

        def scan() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT a.person_id, SUM(f.input + f.cache_read + f.cache_write + f.output) "
                    "FROM leaderboard_usagefact f JOIN leaderboard_account a "
                    "ON a.id = f.account_id GROUP BY a.person_id"
                )
                cursor.fetchall()

        def evaluate() -> float:
            return timed(lambda: call_command("award_badges", full=True))

        scan_seconds = statistics.median(timed(scan) for _ in range(3))
        # Emptied as a new install's are: deleting an earlier run's millions would leave as
        # many dead rows and index entries for the pass to write around (autovacuum is off
        # here), which made it a quarter slower.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {award._meta.db_table}")
        first = evaluate()  # the goal's figure: every award is new
        awards = award.objects.count()
        # What writing those awards costs on its own, with nothing to compute: copied into
        # an empty table with the awards' indexes and checks (no foreign keys).
        table = award._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_awards")
            cursor.execute(f"CREATE TABLE bench_awards (LIKE {table} INCLUDING ALL)")
            write_seconds = timed(
                lambda: cursor.execute(f"INSERT INTO bench_awards SELECT * FROM {table}")  # noqa: S608
            )
            cursor.execute("DROP TABLE bench_awards")
        again = evaluate()  # the nightly full pass: the same facts, every award held already
        self.figures |= {
            "scan_seconds": round(scan_seconds, 3),
            "badges_seconds": round(first, 2),
            "badges_vs_scan": round(first / scan_seconds, 2),
            "awards": awards,
            "award_writes_vs_scan": round(write_seconds / scan_seconds, 2),
            "badges_again_seconds": round(again, 2),
            "badges_again_vs_scan": round(again / scan_seconds, 2),
        }

    # --- file import memory ----------------------------------------------------------------
    def imports(self, sizes: list[int]) -> None:
        """Peak memory of `import_usage` on files of each size, in a process of its own."""
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        UsageFact.objects.filter(source__name__startswith="bench-file-").delete()
        for rows in sizes:
            path = folder / f"usage-{rows}.csv"
            with path.open("w", newline="") as handle:
                writer = csv_writer(
                    handle, ["day", "email", "model", "input", "output", "requests"]
                )
                writer.writeheader()
                for i in range(rows):
                    writer.writerow(
                        {
                            "day": (dt.date(2025, 1, 1) + dt.timedelta(days=i % 365)).isoformat(),
                            "email": f"file{i // 365}@bench.example.com",
                            "model": "gpt-5",
                            "input": 1000 + i % 77,
                            "output": 100,
                            "requests": 1,
                        }
                    )
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "import_usage",
                    str(path),
                    "--source",
                    f"bench-file-{rows}",
                ],
                cwd=ROOT,
                # With a broker, the import queues its follow-up work (badges, rankings) for a
                # worker, as in production, instead of running it in the measured process.
                env=os.environ | {"DEBUG": "true", "REDIS_URL": BENCH_REDIS_URL},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            peak_kb = self._peak_kb(process)
            if process.returncode != 0:
                raise BenchError(f"import_usage of {path.name} failed")
            self.figures[f"import_peak_rss_mb_{rows}"] = round(peak_kb / 1024)
        self.figures["import_peak_rss_mb"] = self.figures[f"import_peak_rss_mb_{sizes[-1]}"]
        redis.Redis.from_url(BENCH_REDIS_URL).flushdb()  # the queued follow-ups
        UsageFact.objects.filter(source__name__startswith="bench-file-").delete()
        # The files' unknown e-mails became people: they go too, so reruns measure the same.
        Account.objects.filter(email__endswith="@bench.example.com").delete()
        Person.objects.filter(email__endswith="@bench.example.com").delete()

    @staticmethod
    def _peak_kb(process: subprocess.Popen) -> int:
        """The process's own peak resident memory (VmHWM) until it ends. Not ru_maxrss: that
        counts the memory the child shared with this (large) process before its exec."""
        peak = 0
        proc = Path(f"/proc/{process.pid}")
        while process.poll() is None:
            try:
                if b"import_usage" not in (proc / "cmdline").read_bytes():
                    continue  # not exec'd yet: still this process's memory
                text = (proc / "status").read_text()
            except OSError:
                break
            found = re.search(r"VmHWM:\s+(\d+) kB", text)
            peak = max(peak, int(found.group(1))) if found else peak
            time.sleep(0.05)
        process.wait()
        return peak

    # --- stored rankings -------------------------------------------------------------------
    def rank(self) -> None:
        """What the rank_boards task does after every ingest: store each live board's rankings."""
        scopes = 0

        def work() -> None:
            nonlocal scopes
            scopes = rankings.rank_boards()

        self.figures["rank_boards_seconds"] = round(timed(work), 2)
        self.figures["rank_boards_scopes"] = scopes

    # --- pages under gunicorn --------------------------------------------------------------
    def pages(self, cookie: str, *, load: bool) -> None:
        """Board and person pages against a bare signed-in page, under gunicorn and wrk."""
        people = list(
            Person.objects.filter(email__endswith="@scale.example.com").values_list(
                "public_id", flat=True
            )[:2000]
        )
        boards = list(
            Board.objects.filter(status=Board.Status.ACTIVE).values_list("slug", "period")
        )
        board_paths = [
            f"/boards/{slug}/?lens={lens}&back={back}"
            for slug, period in boards
            for lens in Board.Lens.values
            for back in ((0,) if period == Board.Period.ALL_TIME else (0, 1))
        ]
        person_paths = [f"/people/{public_id}/" for public_id in people[:200]]
        port = self._free_port()
        env = os.environ | {
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": settings.SECRET_KEY,
            "SECURE_COOKIES": "false",
            "OIDC_PROVIDERS": "",
            # The cache in Redis, as in production (nothing here queues a task).
            "REDIS_URL": BENCH_REDIS_URL,
        }
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "leaderboard.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            self._wait(port, server)
            run = lambda paths, seconds=10, clients=16: self._wrk(  # noqa: E731
                port, cookie, paths, seconds, clients
            )
            # Each page's first view after an ingest renders what later views read from the
            # cache: timed here one at a time, then the steady state under load.
            first_views = {
                "standings": self._first_views(port, cookie, board_paths),
                "person": self._first_views(port, cookie, person_paths),
            }
            for page, (p50, worst) in first_views.items():
                self.figures[f"{page}_first_view_p50_ms"] = p50
                self.figures[f"{page}_first_view_max_ms"] = worst
            # The baseline is measured before and after the pages, and averaged: a shared
            # machine drifts within a run too.
            before = run(["/about/"])
            standings = run(board_paths)
            person_page = run(person_paths)
            after = run(["/about/"])
            bare = {k: round((before[k] + after[k]) / 2, 2) for k in before}
            self.figures |= {
                "bare_rps": bare["rps"],
                "bare_rps_before_after": [before["rps"], after["rps"]],
                "bare_p50_ms": bare["p50"],
                "bare_p99_ms": bare["p99"],
                "standings_rps": standings["rps"],
                "standings_p50_ms": standings["p50"],
                "standings_p99_ms": standings["p99"],
                "person_rps": person_page["rps"],
                "person_p50_ms": person_page["p50"],
                "person_p99_ms": person_page["p99"],
                "standings_vs_bare": round(standings["rps"] / bare["rps"], 3),
                "person_vs_bare": round(person_page["rps"] / bare["rps"], 3),
                "page_errors": before["errors"]
                + after["errors"]
                + standings["errors"]
                + person_page["errors"],
            }
            if load:
                mixed = run(board_paths + person_paths, seconds=120, clients=50)
                self.figures |= {
                    "load_users": 50,
                    "load_seconds": 120,
                    "load_rps": mixed["rps"],
                    "load_p99_ms": mixed["p99"],
                    "load_errors": mixed["errors"],
                }
        finally:
            server.terminate()
            server.wait(timeout=30)

    @staticmethod
    def _first_views(port: int, cookie: str, paths: list[str]) -> tuple[float, float]:
        """Median and slowest time of opening each path once, one request at a time (ms)."""
        times = []
        for path in paths:
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                start = time.perf_counter()
                sock.sendall(
                    f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode()
                )
                response = b""
                while chunk := sock.recv(65536):
                    response += chunk
                times.append((time.perf_counter() - start) * 1000)
            if not response.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")):
                raise BenchError(f"{path} answered {response[:40]!r}")
        return round(statistics.median(times), 1), round(max(times), 1)

    def _session(self, person: Person) -> str:
        user = ensure_user_for_person(person=person)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"sessionid={session.session_key}"

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    @staticmethod
    def _wait(port: int, server: subprocess.Popen) -> None:
        for _ in range(100):
            if server.poll() is not None:
                raise BenchError("gunicorn stopped; see the messages above")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError("gunicorn did not start")

    def _wrk(
        self, port: int, cookie: str, paths: list[str], seconds: int, clients: int
    ) -> dict[str, float]:
        script = ROOT / "var" / "bench" / "paths.lua"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(
            "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
            "request = function()\n  local path = paths[math.random(#paths)]\n"
            f"  return wrk.format('GET', path, {{Cookie = '{cookie}'}})\nend\n"
            "done = function(summary, latency, requests)\n"
            "  io.write(string.format('ERRORS %d\\n', summary.errors.status + "
            "summary.errors.connect + summary.errors.read + summary.errors.write + "
            "summary.errors.timeout))\nend\n"
        )
        result = subprocess.run(
            [
                shutil.which("wrk") or "wrk",
                "-t2",
                f"-c{clients}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        out = result.stdout

        def millis(label: str) -> float:
            value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
            return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)

        return {
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": millis(" 50"),
            "p99": millis(" 99"),
            "errors": int(re.search(r"ERRORS (\d+)", out).group(1)),
        }

    # --- sizes and report ------------------------------------------------------------------
    def sizes(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_total_relation_size('leaderboard_usagefact'), "
                "pg_database_size(current_database())"
            )
            table, database = cursor.fetchone()
        self.figures |= {
            "facts_table_mb": round(table / 2**20),
            "database_mb": round(database / 2**20),
        }

    def report(self, path: Path) -> None:
        print(f"{'figure':<28}{'value':>16}  goal")
        for name, value in self.figures.items():
            goal = ""
            if name in GOALS:
                op, bound = GOALS[name]
                met = value >= bound if op == ">=" else value <= bound
                goal = f"{op} {bound}  {'met' if met else 'NOT MET'}"
            print(f"{name:<28}{value!s:>16}  {goal}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.figures, indent=2))
        print(f"written to {path}")
