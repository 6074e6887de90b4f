"""Property tests: whatever a Copilot report file holds, each line is read or kept as a
rejected row with the line itself; a pull never crashes on it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import IngestRun, RejectedRow
from ingest.providers.copilot import read_report
from ingest.services.pulls import pull_connection
from leaderboard.models import UsageFact
from tests.helpers import json_values, paths
from tests.stub_copilot import report_files

AUG3 = dt.date(2026, 8, 3)
RECORDED = report_files()["2026-08-03"][0]  # two users, one of them with CLI use
ROWS = [json.loads(line) for line in RECORDED.splitlines()]


@st.composite
def damaged_line(draw: st.DrawFn) -> bytes:
    """A recorded row with one place deleted or replaced, cut short, or bytes at all."""
    how = draw(st.sampled_from(["replace", "cut", "bytes"]))
    row = copy.deepcopy(ROWS[draw(st.integers(0, len(ROWS) - 1))])
    line = json.dumps(row).encode()
    if how == "cut":
        return line[: draw(st.integers(1, len(line) - 1))]
    if how == "bytes":
        return draw(st.binary(min_size=1, max_size=60)).replace(b"\n", b" ")
    where = draw(st.sampled_from(paths(row)[1:]))
    parent = row
    for step in where[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = draw(json_values)
    return json.dumps(row, default=str).encode()


def test_the_recorded_files_read_without_rejections() -> None:
    records, rejected = read_report(RECORDED, "file 1", AUG3)

    assert [r.account for r in records] == ["anguyen", "anguyen", "bokafor"]
    assert rejected == []


@settings(max_examples=200, deadline=None)
@given(line=damaged_line(), position=st.integers(0, 2))
def test_a_damaged_line_is_read_or_kept_with_its_payload(line, position) -> None:
    lines = RECORDED.splitlines()
    lines.insert(position, line)

    records, rejected = read_report(b"\n".join(lines), "file 1", AUG3)

    # the recorded rows are all still read, whatever line came between them
    assert {"anguyen", "bokafor"} <= {r.account for r in records}
    for record in records:
        counts = (record.input, record.output, record.requests)
        assert all(isinstance(c, int) and c >= 0 for c in counts)
        assert record.day == AUG3
    for rejection in rejected:
        assert rejection.reason and rejection.location.startswith("file 1, line")
        assert rejection.raw  # the line itself (or its rows), kept for review


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(line=damaged_line())
def test_a_pull_of_a_damaged_file_keeps_the_bad_line_and_the_good_ones(
    copilot_connection, copilot_api, line
) -> None:
    copilot_api.reports = {"2026-08-03": [RECORDED + line + b"\n"]}

    run = pull_connection(connection=copilot_connection, start=AUG3, end=AUG3, trigger="test")

    assert run.status in (IngestRun.Status.SUCCEEDED, IngestRun.Status.PARTIAL)
    assert UsageFact.objects.get(account__external_id="bokafor", day=AUG3).requests == 5
    if run.status == IngestRun.Status.PARTIAL:
        kept = RejectedRow.objects.filter(
            connection=copilot_connection, location__startswith="report of 2026-08-03, file 1"
        )
        assert kept.exists()
        assert all(r.raw and r.reason for r in kept)


def test_a_second_row_of_a_login_is_kept_for_review_not_counted_twice(
    copilot_connection, copilot_api
) -> None:
    again = RECORDED.splitlines()[-1]  # bokafor's row, in the day's second file as well
    copilot_api.reports = {"2026-08-03": [RECORDED, again + b"\n"]}

    run = pull_connection(connection=copilot_connection, start=AUG3, end=AUG3, trigger="test")

    assert run.status == IngestRun.Status.PARTIAL
    assert UsageFact.objects.get(account__external_id="bokafor", day=AUG3).requests == 5
    kept = RejectedRow.objects.get(run=run)
    assert "a second row for bokafor" in kept.reason
    assert json.loads(kept.raw)["user_login"] == "bokafor"


def test_a_line_that_is_not_json_is_a_rejected_row_with_the_line(
    copilot_connection, copilot_api
) -> None:
    copilot_api.reports = {"2026-08-03": [RECORDED + b'{"user_login": "trunc\n']}

    run = pull_connection(connection=copilot_connection, start=AUG3, end=AUG3, trigger="test")

    assert run.status == IngestRun.Status.PARTIAL
    kept = RejectedRow.objects.get(run=run)
    assert kept.raw == '{"user_login": "trunc'
    assert "not JSON" in kept.reason
    assert kept.location == "report of 2026-08-03, file 1, line 3"
    assert UsageFact.objects.filter(day=AUG3).count() == 3
    assert UsageFact.objects.get(account__external_id="anguyen", model="copilot").cost == Decimal(
        "0.4"
    )
