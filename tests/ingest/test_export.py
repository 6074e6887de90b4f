"""export_usage --by-source over every provider's sample data, against hand-computed figures."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.management import call_command

from ingest.services.pulls import pull_connection
from ingest.services.uploads import import_usage_file
from tests.data import files_dir


def test_export_by_source_gives_each_sources_per_person_totals(
    openai_connection, anthropic_connection, claude_code_connection, cursor_connection
):
    for connection in (
        openai_connection,
        anthropic_connection,
        claude_code_connection,
        cursor_connection,
    ):
        pull_connection(connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5))
    with (files_dir / "gateway.csv").open("rb") as stream:
        import_usage_file(source="gateway", stream=stream, filename="gateway.csv")
    out = io.StringIO()

    call_command(
        "export_usage", "--start", "2026-08-03", "--end", "2026-08-05", "--by-source", stdout=out
    )

    rows = {(r["email"], r["source"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}

    def figures(email: str, source: str) -> tuple:
        r = rows[(email, source)]
        return (
            int(r["input"]),
            int(r["cache_read"]),
            int(r["cache_write"]),
            int(r["output"]),
            int(r["requests"]) if r["requests"] else "n/a",
            r["cost_usd"],
            r["cost_estimated"],
        )

    alice = "alice.nguyen@example.com"
    assert figures(alice, "openai-main")[:5] == (
        41_000 + 5_000 + 20_000,
        12_000 + 2_000 + 10_000,
        1_500,
        6_200 + 800 + 2_000,
        18 + 6 + 5,
    )
    assert figures(alice, "anthropic-main")[:5] == (
        3_200 + 2_500,
        120_000 + 40_000,
        8_000,
        2_400 + 900,
        "n/a",  # the Messages report has no request count: an empty cell, never 0
    )
    # her own records; the key release-bot she created acts as no one, so it is not hers
    assert figures(alice, "claude-code") == (
        38_000 + 9_000 + 1_000,
        410_000 + 52_000 + 4_000,
        16_000 + 3_000 + 500,
        11_500 + 2_600 + 500,
        "n/a",  # Claude Code reports sessions, not requests
        "3.060000",  # 268 + 31 + 7 cents
        "false",
    )
    assert figures(alice, "cursor-team") == (
        3_200 + 2_200_000_000,
        12_000 + 2_300_000_000,
        0,
        900 + 100,
        3,
        "1230.064000",  # model cost (totalCents) 1.9 + 123000.5, and 4 cents charged
        "false",
    )
    assert figures(alice, "gateway") == (1_000, 200, 0, 300, 4, "0.250000", "false")
    bob = "bob.okafor@example.com"
    assert figures(bob, "claude-code")[:5] == (21_000, 150_000, 7_000, 6_900, "n/a")
    assert figures(bob, "gateway")[0] == 3_000_000_000
    unowned = {r["source"]: int(r["input"]) for (email, _), r in rows.items() if not email}
    assert unowned == {
        "openai-main": 2_400_000_000 + 60_000,  # Dev's unknown account and null-user rows
        "anthropic-main": 1_200,  # account_id null
        "claude-code": 5_000 + 100,  # the api_actors ci-bot-key and release-bot
        "gateway": 500,  # svc-batch-17
    }
