"""What every part of the bench shares: where it writes, its Redis, its timer, plain COPY."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


class BenchError(Exception):
    """The bench cannot run or measure: the message says why."""


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def copy_rows(cursor: Any, table: str, columns: str, rows: list[tuple]) -> None:
    """Plain COPY of rows into table: the baseline, and the ceilings."""
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
