"""Fixtures the ingest tests share: real Celery worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `celery worker` processes on the test database and a Redis database of their own
    (keyword arguments: settings of that worker's environment)."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (CI runs it; set DATABASE_URL and REDIS_URL)")
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()  # no message of an earlier run may reach these workers
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,  # the same key decrypts the stored admin key
        "DEBUG": "false",
        "INGEST_ALLOW_PRIVATE_URLS": "true",  # the stubs listen on http://127.0.0.1
        "INGEST_LOOKBACK_DAYS": "3",
    }
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> subprocess.Popen:
        log = (tmp_path / f"worker{len(started)}.log").open("w")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "leaderboard", "worker"),
                *("--pool", "solo", "--loglevel", "INFO"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env={**env, **overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
    broker.flushdb()
