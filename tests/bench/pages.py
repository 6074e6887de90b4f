"""Pages under gunicorn and wrk: board and person pages against a bare signed-in page."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from leaderboard.models import Board, Person
from leaderboard.services.people import ensure_user_for_person
from tests.bench.common import BENCH_REDIS_URL, ROOT, BenchError


def pages(cookie: str, *, load: bool) -> dict[str, Any]:
    """Board and person pages against a bare signed-in page, under gunicorn and wrk."""
    people = list(
        Person.objects.filter(email__endswith="@scale.example.com").values_list(
            "public_id", flat=True
        )[:2000]
    )
    boards = list(Board.objects.filter(status=Board.Status.ACTIVE).values_list("slug", "period"))
    board_paths = [
        f"/boards/{slug}/?lens={lens}&back={back}"
        for slug, period in boards
        for lens in Board.Lens.values
        for back in ((0,) if period == Board.Period.ALL_TIME else (0, 1))
    ]
    person_paths = [f"/people/{public_id}/" for public_id in people[:200]]
    figures: dict[str, Any] = {}
    port = _free_port()
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
        _wait(port, server)
        run = lambda paths, seconds=10, clients=16: _wrk(  # noqa: E731
            port, cookie, paths, seconds, clients
        )
        # Each page's first view after an ingest renders what later views read from the
        # cache: timed here one at a time, then the steady state under load.
        first_views = {
            "standings": _first_views(port, cookie, board_paths),
            "person": _first_views(port, cookie, person_paths),
        }
        for page, (p50, worst) in first_views.items():
            figures[f"{page}_first_view_p50_ms"] = p50
            figures[f"{page}_first_view_max_ms"] = worst
        # The baseline is measured before and after the pages, and averaged: a shared
        # machine drifts within a run too.
        before = run(["/about/"])
        standings = run(board_paths)
        person_page = run(person_paths)
        after = run(["/about/"])
        bare = {k: round((before[k] + after[k]) / 2, 2) for k in before}
        figures |= {
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
            figures |= {
                "load_users": 50,
                "load_seconds": 120,
                "load_rps": mixed["rps"],
                "load_p99_ms": mixed["p99"],
                "load_errors": mixed["errors"],
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


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


def session_cookie(person: Person) -> str:
    """A signed-in session's cookie for person, as wrk and the first views send it."""
    user = ensure_user_for_person(person=person)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def _wrk(port: int, cookie: str, paths: list[str], seconds: int, clients: int) -> dict[str, float]:
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
