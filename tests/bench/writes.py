"""The write paths: ingest against plain COPY, a badge pass against one scan, and the memory
of a file import."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from leaderboard.db import facts
from leaderboard.domain.csv_export import csv_writer
from leaderboard.models import Account, Person, Source, UsageFact
from tests.bench.common import BENCH_REDIS_URL, ROOT, BenchError, copy_rows, timed


# --- ingest ---------------------------------------------------------------------------------------
def ingest(count: int) -> dict[str, Any]:
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
            facts.FactRow(
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
    again = [r._replace(recorded_at=now + dt.timedelta(hours=1)) for r in rows]
    revised = [
        r._replace(output=r.output + 1, recorded_at=now + dt.timedelta(hours=2)) for r in rows
    ]
    ingest_seconds = timed(lambda: facts.upsert(rows, keep_unchanged=True))
    reingest_seconds = timed(lambda: facts.upsert(again, keep_unchanged=True))
    revised_seconds = timed(lambda: facts.upsert(revised, keep_unchanged=True))
    facts.forget_seen(source_id=source.pk, through=revised[0][-1])
    UsageFact.objects.filter(day__gte=start).delete()
    figures = {
        "ingest_rows": count,
        "copy_rows_per_s": round(count / copy_seconds),
        "ingest_rows_per_s": round(count / ingest_seconds),
        "ingest_vs_copy": round(copy_seconds / ingest_seconds, 3),
        "reingest_vs_copy": round(copy_seconds / reingest_seconds, 3),
        "revised_vs_copy": round(copy_seconds / revised_seconds, 3),
    }
    return figures | _ingest_ceilings(rows, columns, copy_seconds)


def _ingest_ceilings(
    rows: list[facts.FactRow], columns: str, copy_seconds: float
) -> dict[str, float]:
    """What the facts' own indexes allow any write path that keeps them: the same rows,
    in key order, COPYed (nothing staged, merged or checked) into an empty table with
    those indexes, as a partition of its own would be; and into the facts themselves with
    no trigger, rolled back. Measured after the figures above, on days none writes."""
    table = UsageFact._meta.db_table
    # in the natural key's order, as ingest writes them
    later = facts.in_key_order(r._replace(day=r.day + dt.timedelta(days=400)) for r in rows)

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
    return {
        "indexed_copy_vs_copy": round(copy_seconds / empty_seconds, 3),
        "facts_copy_vs_copy": round(copy_seconds / live_seconds, 3),
    }


def repull_unanalysed(count: int) -> dict[str, float]:
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
            facts.FactRow(
                *(source.pk, day + dt.timedelta(days=i // people), ids[i % people], "gpt-5"),
                *(1_000, 0, 0, 100, 1, None, False, now),
            )
            for i in range(count)
        ]
        facts.upsert(rows, keep_unchanged=True)
        later = now + dt.timedelta(hours=1)
        again = [r._replace(recorded_at=later) for r in rows[: count - count // 100]]  # 1% left out

        def repull() -> None:
            facts.upsert(again, keep_unchanged=True)
            end = day + dt.timedelta(days=count // people)
            facts.prune(source_id=source.pk, start=day, end=end, pulled_at=later)
            facts.forget_seen(source_id=source.pk, through=later)

        seconds = round(timed(repull), 2)
        transaction.set_rollback(True)
    return {"repull_100k_unanalysed_s": seconds}


# --- badges ---------------------------------------------------------------------------------------
def badges() -> dict[str, float]:
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
    return {
        "scan_seconds": round(scan_seconds, 3),
        "badges_seconds": round(first, 2),
        "badges_vs_scan": round(first / scan_seconds, 2),
        "awards": awards,
        "award_writes_vs_scan": round(write_seconds / scan_seconds, 2),
        "badges_again_seconds": round(again, 2),
        "badges_again_vs_scan": round(again / scan_seconds, 2),
    }


# --- file import memory ---------------------------------------------------------------------------
def imports(sizes: list[int]) -> dict[str, int]:
    """Peak memory of `import_usage` on files of each size, in a process of its own."""
    figures: dict[str, int] = {}
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    UsageFact.objects.filter(source__name__startswith="bench-file-").delete()
    for rows in sizes:
        path = folder / f"usage-{rows}.csv"
        with path.open("w", newline="") as handle:
            writer = csv_writer(handle, ["day", "email", "model", "input", "output", "requests"])
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
        peak_kb = _peak_kb(process)
        if process.returncode != 0:
            raise BenchError(f"import_usage of {path.name} failed")
        figures[f"import_peak_rss_mb_{rows}"] = round(peak_kb / 1024)
    figures["import_peak_rss_mb"] = figures[f"import_peak_rss_mb_{sizes[-1]}"]
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()  # the queued follow-ups
    UsageFact.objects.filter(source__name__startswith="bench-file-").delete()
    # The files' unknown e-mails became people: they go too, so reruns measure the same.
    Account.objects.filter(email__endswith="@bench.example.com").delete()
    Person.objects.filter(email__endswith="@bench.example.com").delete()
    return figures


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
