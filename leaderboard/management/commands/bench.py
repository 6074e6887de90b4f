from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Sum
from django.utils import timezone

from leaderboard.models import UsageFact, total_tokens
from leaderboard.selectors import month_of, standings


def _median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class Command(BaseCommand):
    help = "Benchmark hot paths as ratios against a baseline measured in the same run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--output", default=str(settings.BASE_DIR / "var" / "bench.json"))

    def handle(self, *args: object, **options: object) -> None:
        repeat = options["repeat"]
        period = month_of(timezone.now().date())
        facts = UsageFact.objects.count()
        scan = _median_seconds(
            lambda: list(
                UsageFact.objects.values("account__person").annotate(t=Sum(total_tokens()))
            ),
            repeat,
        )
        top50 = _median_seconds(lambda: list(standings(period=period)[:50]), repeat)
        figures = {
            "facts": facts,
            "scan_ms": round(scan * 1000, 2),
            "standings_top50_ms": round(top50 * 1000, 2),
            "standings_vs_scan": round(top50 / scan, 3),
        }
        self.stdout.write(f"{'figure':<22}{'value':>12}")
        for name, value in figures.items():
            self.stdout.write(f"{name:<22}{value:>12}")
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2))
        self.stdout.write(f"written to {path}")
