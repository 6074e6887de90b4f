"""Usage files in Tokenboard's schema: good rows land, every bad row is kept with its line."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ingest.models import IngestRun, RejectedRow
from ingest.services import import_usage_file
from leaderboard.models import Account, UsageFact

FILES = Path(__file__).parent.parent / "data" / "files"
CSV_REJECTIONS = {
    "line 5": "input should be a whole number of 0 or more, got '-5'",
    "line 6": "model is empty",
    "line 7": "day should be a date like 2026-08-03, got 'not-a-date'",
    "line 8": "a row needs an email or an external_id",
    "line 9": "this import is for source 'gateway', the row says 'billing'",
    "line 10": "same day, account and model as line 2",
    "line 11": "cost_usd should be an amount like 12.50, got 'twelve'",
}


def import_file(name: str, source: str = "gateway") -> IngestRun:
    with (FILES / name).open("rb") as stream:
        return import_usage_file(source=source, stream=stream, filename=name)


def facts() -> list[tuple]:
    return list(
        UsageFact.objects.order_by("day", "account__external_id", "model").values_list(
            "day",
            "account__external_id",
            "model",
            "input",
            "cache_read",
            "output",
            "requests",
            "cost",
            "cost_estimated",
        )
    )


def test_csv_rows_land_and_bad_rows_are_kept_with_their_line_and_reason(db) -> None:
    run = import_file("gateway.csv")

    assert (run.status, run.rows, run.rejected) == (IngestRun.Status.PARTIAL, 3, 7)
    assert (run.window_start, run.window_end) == (dt.date(2026, 8, 3), dt.date(2026, 8, 4))
    rejected = {r.location: r.reason for r in RejectedRow.objects.all()}
    assert rejected.keys() == CSV_REJECTIONS.keys()
    for line, reason in CSV_REJECTIONS.items():
        assert rejected[line].startswith(reason)
    assert RejectedRow.objects.get(location="line 6").raw.count("alice.nguyen@example.com") == 1


def test_csv_values_are_stored_as_given(db) -> None:
    import_file("gateway.csv")

    gpt5, sonnet, mini = facts()
    assert gpt5 == (
        dt.date(2026, 8, 3),
        "alice.nguyen@example.com",
        "gpt-5",
        1000,
        200,
        300,
        4,
        Decimal("0.25"),
        False,
    )
    assert sonnet[3] == 3_000_000_000 and sonnet[8] is True  # no cost given: estimated
    assert mini[1] == "svc-batch-17"
    assert Account.objects.get(external_id="svc-batch-17").person is None


def test_reimporting_the_same_file_changes_nothing(db) -> None:
    import_file("gateway.csv")
    before = (facts(), RejectedRow.objects.count())

    again = import_file("gateway.csv")

    assert (facts(), RejectedRow.objects.count()) == before
    assert again.rows == 3


def test_json_lines_are_read_the_same_way(db) -> None:
    run = import_file("gateway.jsonl")

    assert (run.rows, run.rejected) == (2, 4)
    rejected = {r.location: r.reason for r in RejectedRow.objects.all()}
    assert rejected == {
        "line 2": "input should be a whole number of 0 or more, got 'lots'",
        "line 3": "not a JSON object",
        "line 4": "unexpected column(s) ['colour']",
        "line 5": "not JSON: Expecting property name enclosed in double quotes at column 2",
    }
    assert UsageFact.objects.get(account__external_id="svc-batch-17").output == 3_000_000_000


def test_a_file_that_is_not_usage_fails_clearly(db) -> None:
    stream = io.BytesIO(b"name,amount\nx,1\n")

    run = import_usage_file(source="gateway", stream=stream, filename="x.csv")

    assert run.status == IngestRun.Status.FAILED
    assert run.error == (
        "x.csv: the CSV header lacks day, model; columns are day, email, "
        "external_id, source, model, input, cache_read, cache_write, output, "
        "requests, cost_usd"
    )


def test_import_usage_command_reports_rows_and_rejections(db, tmp_path, capsys) -> None:
    path = tmp_path / "august.csv"
    shutil.copy(FILES / "gateway.csv", path)
    out, err = io.StringIO(), io.StringIO()

    call_command("import_usage", str(path), "--source", "gateway", stdout=out, stderr=err)

    assert "august.csv -> gateway: 3 rows imported, 7 rejected, 2026-08-03..2026-08-04" in (
        out.getvalue()
    )
    assert "line 6: model is empty" in err.getvalue()


def test_import_usage_refuses_an_api_connection_as_source(openai_connection, tmp_path) -> None:
    path = tmp_path / "x.csv"
    shutil.copy(FILES / "gateway.csv", path)

    with pytest.raises(CommandError, match="pulls from openai, not file"):
        call_command("import_usage", str(path), "--source", "openai-main")


def test_a_repeated_key_is_caught_across_batches_and_the_first_line_wins(db, monkeypatch) -> None:
    monkeypatch.setattr("ingest.files.BATCH_ROWS", 2)  # lines 2-3, 4-5, 6
    lines = ["day,email,model,input"] + [
        f"2026-08-0{day},dev@example.com,gpt-5,{tokens}"
        for day, tokens in [(3, 100), (4, 10), (5, 20), (3, 999), (3, 777)]
    ]
    stream = io.BytesIO("\n".join(lines).encode())

    run = import_usage_file(source="gateway", stream=stream, filename="repeats.csv")

    assert (run.rows, run.rejected) == (3, 2)
    assert dict(RejectedRow.objects.values_list("location", "reason")) == {
        "line 5": "same day, account and model as an earlier line of this file",
        "line 6": "same day, account and model as an earlier line of this file",
    }
    assert UsageFact.objects.get(day=dt.date(2026, 8, 3)).input == 100
    # Importing the same file again is not a repeat: nothing changes, nothing is counted twice.
    again = import_usage_file(
        source="gateway", stream=io.BytesIO(stream.getvalue()), filename="r.csv"
    )
    assert (again.rows, again.rejected) == (3, 2)
    assert sorted(UsageFact.objects.values_list("input", flat=True)) == [10, 20, 100]
