"""Usage files in Tokenboard's schema: good rows land, every bad row is kept with its line."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ingest.models import IngestRun, RejectedRow
from ingest.services.uploads import import_usage_file
from leaderboard.domain.records import MAX_COUNT
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


HEADER = b"day,email,external_id,model,input,output,cost_usd\n"
GOOD = b"2026-08-03,ada@example.com,,gpt-5,100,10,\n"
LATER = b"2026-08-04,ada@example.com,,gpt-5,200,20,\n"


def import_bytes(data: bytes, name: str = "hostile.csv") -> IngestRun:
    return import_usage_file(source="gateway", stream=io.BytesIO(data), filename=name)


def rejections() -> dict[str, str]:
    return dict(RejectedRow.objects.values_list("location", "reason"))


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            b"2026-08-03,bo@example.com,,gpt-5,1,1,,\n",
            "8 fields, more than the header's 7 (a trailing comma, or a comma in an unquoted "
            "value)",
        ),
        (b"2026-08-03,bo@example.com,,gpt\x005,1,1,\n", "model contains a control or invisible"),
        (b"2026-08-03,bo@example.com\x00,,gpt-5,1,1,\n", "email contains a control or invisible"),
        (b"2026-08-03,bo@example.com,,gpt\xe2\x80\x8b5,1,1,\n", "model contains a control"),
        (b"2026-08-03,bo@example.com,," + b"m" * 201 + b",1,1,\n", "model is 201 characters long"),
        (b"2026-08-03,," + b"i" * 256 + b",gpt-5,1,1,\n", "external_id is 256 characters long"),
        (b"2026-08-03," + b"b" * 250 + b"@example.com,,gpt-5,1,1,\n", "email is 262 characters"),
        (
            b"2026-08-03,bo@example.com,,gpt-5,18446744073709551616,1,\n",
            "input 18446744073709551616 is",
        ),
        (
            b"2026-08-03,bo@example.com,,gpt-5,9223372036854775807,1,\n",
            "input 9223372036854775807 is above the limit of 10,000,000,000,000",
        ),
        (b"2026-08-03,bo@example.com,,gpt-5,1,10000000000001,\n", "output 10000000000001 is above"),
        (b"2026-08-03,bo@example.com,,gpt-5,1,1,1e30\n", "cost_usd 1e30 is above the limit"),
        (b"2026-08-03,bo@example.com,,gpt-5,1,1,-1\n", "cost_usd should be an amount like 12.50"),
        (b"2026-08-03,bo@example.com,,gpt-5,1,1,NaN\n", "cost_usd should be an amount like 12.50"),
        (
            "2026-08-03,bo@example.com,,gpt-5,١٢٣,1,\n".encode(),
            "input should be a whole number of 0 or more, got '١٢٣'",
        ),
        ("2026-08-03,bo@example.com,,gpt-5,1,１２,\n".encode(), "output should be a whole number"),
        ("２０２６-08-03,bo@example.com,,gpt-5,1,1,\n".encode(), "day should be a date like"),
        (
            b'2026-08-03,bo@example.com,,"' + b"x" * 140_000 + b'",1,1,\n',
            "unreadable CSV (field larger than field limit (131072))",
        ),
        (b"2026-08-03,bo@example.com,,gpt-5,1,1" + b" " * (1 << 20) + b"\n", "the line is longer"),
        (b"2026-08-03,bo\xff@example.com,,gpt-5,1,1,\n", "not UTF-8 text (byte 0xff at byte 14"),
        (b'2026-08-03,bo@example.com,,"gpt\n5",1,1,\n', "model contains a control or invisible"),
    ],
)
def test_a_hostile_row_is_rejected_with_its_line_and_reason_while_the_rest_lands(
    db, row, reason
) -> None:
    run = import_bytes(HEADER + GOOD + row + LATER)

    assert (run.status, run.rows, run.rejected) == (IngestRun.Status.PARTIAL, 2, 1)
    assert list(rejections()) == ["line 3"]
    assert rejections()["line 3"].startswith(reason)
    assert run.finished_at is not None
    assert sorted(UsageFact.objects.values_list("day", "input")) == [
        (dt.date(2026, 8, 3), 100),
        (dt.date(2026, 8, 4), 200),
    ]


def test_json_lines_split_at_newlines_only_and_count_lines_as_the_file_does(db) -> None:
    lines = [
        '{"day": "2026-08-03", "email": "ada@example.com", "model": "gpt-5", "input": 1}',
        '{"day": "2026-08-03", "email": "ada@example.com", "model": "gpt\u20285", "input": 2}',
        '{"day": "2026-08-04", "email": "ada@example.com", "model": "gpt-5", "input": "x"}',
        '{"day": "2026-08-05", "email": "ada@example.com", "model": "gpt-5", "input": 3}',
        "[" * 100_000 + "]" * 100_000,
        '{"day": "2026-08-06", "email": "ada@example.com", "model": "gpt-5", "input": 1e400}',
        '{"day": "2026-08-07", "email": "ada@example.com", "model": "gpt-5", "input": 4}',
    ]

    run = import_bytes("\n".join(lines).encode(), "usage.jsonl")

    assert rejections() == {
        "line 2": "model contains a control or invisible character (U+2028)",
        "line 3": "input should be a whole number of 0 or more, got 'x'",
        "line 5": "the JSON is nested too deeply",
        "line 6": "input should be a whole number of 0 or more, got inf",
    }
    assert (run.rows, run.rejected) == (3, 4)


def test_invalid_utf8_deep_in_a_file_is_reported_on_its_line(db) -> None:
    rows = [f"2026-08-03,ada@example.com,,model-{n},1,1,\n".encode() for n in range(7_002)]
    rows[6_999] = b"2026-08-03,ada@example.com,,caf\xe9,1,1,\n"  # Latin-1, line 7,001

    run = import_bytes(HEADER + b"".join(rows))

    assert rejections() == {"line 7001": "not UTF-8 text (byte 0xe9 at byte 32 of the line)"}
    assert run.rows == 7_001


def test_an_unknown_column_fails_the_file_once_naming_it_and_the_valid_ones(db) -> None:
    run = import_bytes(b"day,email,model,tokens\n" + b"2026-08-03,ada@example.com,gpt-5,1\n" * 500)

    assert (run.status, run.rows, run.rejected) == (IngestRun.Status.FAILED, 0, 0)
    assert run.error == (
        "hostile.csv: the CSV header has unknown column(s) 'tokens'; columns are day, email, "
        "external_id, source, model, input, cache_read, cache_write, output, requests, cost_usd"
    )
    assert not RejectedRow.objects.exists()


def test_an_unknown_key_in_the_first_json_line_fails_the_file_once(db) -> None:
    line = b'{"day": "2026-08-03", "email": "ada@example.com", "model": "gpt-5", "tokens": 1}\n'

    run = import_bytes(line * 500, "usage.jsonl")

    assert run.status == IngestRun.Status.FAILED
    assert run.error.startswith("usage.jsonl: line 1 has unknown column(s) 'tokens'; columns are")
    assert not RejectedRow.objects.exists()


def test_a_file_that_is_not_text_fails_once(db) -> None:
    run = import_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "usage.csv")

    assert run.status == IngestRun.Status.FAILED
    assert run.error.startswith("usage.csv: the CSV header cannot be read: not UTF-8 text")


def test_a_crash_halfway_ends_the_run_as_failed_and_keeps_the_rows_before_it(
    db, monkeypatch
) -> None:
    from leaderboard.services import usage as core

    monkeypatch.setattr("ingest.files.BATCH_ROWS", 1)
    record_usage = core.record_usage
    calls = []

    def fails_the_second_time(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return record_usage(**kwargs)

    monkeypatch.setattr(core, "record_usage", fails_the_second_time)

    run = import_bytes(HEADER + GOOD + LATER)

    assert run.status == IngestRun.Status.FAILED
    assert run.error == (
        "hostile.csv: the import stopped after 1 row(s) (RuntimeError: the database went "
        "away). Rows before it are imported; importing the file again completes it."
    )
    assert IngestRun.objects.get().finished_at is not None
    assert UsageFact.objects.get().day == dt.date(2026, 8, 3)


def test_an_interrupted_import_is_closed_by_the_next_one(db) -> None:
    import_bytes(HEADER + GOOD)
    IngestRun.objects.update(status=IngestRun.Status.RUNNING, finished_at=None)  # a killed run

    import_bytes(HEADER + LATER)

    interrupted = IngestRun.objects.order_by("started_at").first()
    assert interrupted.status == IngestRun.Status.FAILED
    assert interrupted.error.startswith("Interrupted: the import stopped before the end")


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("g" * 41, "a source name has at most 35 characters"),
        ("g" * 36, "a source name has at most 35 characters"),
        ("gate way", "'gate way' cannot name a source: use letters, digits, hyphens"),
        ("gate\x00way", "cannot name a source"),
    ],
)
def test_import_usage_refuses_a_source_name_the_admin_refuses(db, tmp_path, source, error):
    path = tmp_path / "x.csv"
    shutil.copy(FILES / "gateway.csv", path)

    with pytest.raises(CommandError, match=error):
        call_command("import_usage", str(path), "--source", source)

    assert not IngestRun.objects.exists()


def test_a_count_of_five_thousand_digits_is_a_rejected_row(db) -> None:
    run = import_bytes(HEADER + b"2026-08-03,bo@example.com,,gpt-5," + b"9" * 5000 + b",1,\n")

    assert rejections() == {
        "line 2": "input 99999999999999999999… (5,000 digits) is above the limit"
    }
    assert run.status == IngestRun.Status.PARTIAL


def test_many_facts_at_the_count_limit_and_one_above_it_leave_the_month_board_working(
    client, alice, seeded_boards
) -> None:
    at_limit = ",".join([str(MAX_COUNT)] * 5)
    lines = [b"day,email,model,input,cache_read,cache_write,output,requests,cost_usd\n"]
    lines += [
        f"2026-08-{day:02},{alice.email},model-{m},{at_limit},1000000000\n".encode()
        for day in range(1, 29)
        for m in range(40)
    ]
    lines.append(f"2026-08-02,{alice.email},huge,{2**63 - 1},0,0,0,0,\n".encode())
    client.force_login(alice.user)

    with time_machine.travel(dt.datetime(2026, 8, 29, 12, tzinfo=dt.UTC), tick=False):
        run = import_bytes(b"".join(lines))
        pages = [
            client.get("/boards/token-volume/", {"lens": lens})
            for lens in ["total_tokens", "output", "requests", "cost", "cache_read_share"]
        ] + [client.get(f"/people/{alice.public_id}/")]

    assert (run.rows, list(rejections())) == (28 * 40, [f"line {len(lines)}"])
    assert [page.status_code for page in pages] == [200] * 6
    assert all("Alice Nguyen" in page.content.decode() for page in pages)
