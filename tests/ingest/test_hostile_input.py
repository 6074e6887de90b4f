"""Property tests: hostile text (NUL and other controls, invisible and line-separating
characters, overlong values, non-ASCII digits, bytes that are not UTF-8) in any field of any
import never crashes it, never loses the file's good rows, and never leaves a run running."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import tasks
from ingest.files import COLUMNS
from ingest.models import IngestRun
from ingest.services.uploads import import_usage_file
from leaderboard.models import Person, UsageFact
from leaderboard.services import outbox
from leaderboard.services.people import import_people
from tests.factories import UserFactory

SPECIALS = [
    "\x00",
    "\u2028",
    "\u2029",
    "\u200b",
    "\u202e",
    "\r",
    "\n",
    ",",
    '"',
    "١٢٣",
    "１２",
    "1e30",
    "NaN",
    "-1",
    str(2**63 - 1),
    str(2**64),
    "9" * 5000,
    "2026-02-30",
    "[" * 3000,
]
hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(SPECIALS),
    st.lists(st.sampled_from(SPECIALS), max_size=4).map("".join),
    st.sampled_from([80, 120, 200, 201, 254, 255, 256, 131_073]).map(lambda n: "x" * n),
)
hostile_bytes = st.one_of(
    hostile_text.map(str.encode), st.binary(max_size=30), st.sampled_from([b"\xff", b"\xe9"])
)
GOOD = {
    "day": b"2026-08-03",
    "email": b"ada@example.com",
    "external_id": b"",
    "source": b"gateway",
    "model": b"gpt-5",
    "input": b"1",
    "cache_read": b"2",
    "cache_write": b"3",
    "output": b"4",
    "requests": b"5",
    "cost_usd": b"0.5",
}
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def csv_file(field: str, value: bytes, source: bytes = b"gateway") -> bytes:
    good = {**GOOD, "source": source}
    hostile = {**good, "model": b"hostile", field: value}
    return b"\n".join(
        [",".join(COLUMNS).encode(), b",".join(good.values()), b",".join(hostile.values())]
    )


def jsonl_file(field: str, value: bytes) -> bytes:
    def line(row: dict[str, bytes]) -> bytes:
        return b"{" + b", ".join(b'"%s": "%s"' % (k.encode(), v) for k, v in row.items()) + b"}"

    return line(GOOD) + b"\n" + line({**GOOD, "model": b"hostile", field: value})


def assert_ended_with_the_good_row(run: IngestRun) -> None:
    run.refresh_from_db()
    assert run.status in {IngestRun.Status.SUCCEEDED, IngestRun.Status.PARTIAL}, run.error
    assert run.finished_at is not None
    assert run.rows + run.rejected >= 2  # the hostile row is imported or rejected, never lost
    assert UsageFact.objects.filter(model="gpt-5", input=1).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@PROPERTY
@given(field=st.sampled_from(COLUMNS), value=hostile_bytes)
def test_hostile_text_in_any_field_of_a_usage_file_is_imported_or_rejected(fmt, field, value):
    data = (csv_file if fmt == "csv" else jsonl_file)(field, value)

    run = import_usage_file(source="gateway", stream=io.BytesIO(data), filename=f"u.{fmt}")

    assert_ended_with_the_good_row(run)


@pytest.mark.django_db
@PROPERTY
@given(source=hostile_text, name=hostile_text, field=st.sampled_from(COLUMNS), value=hostile_bytes)
def test_hostile_uploads_in_the_admin_never_answer_5xx(
    client, monkeypatch, source, name, field, value
):
    queued: list[int] = []
    monkeypatch.setattr(outbox, "queue_on_commit", lambda task, run_id: queued.append(run_id))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile(f"{name}.csv", csv_file(field, value, source.encode()))

    response = client.post("/admin/ingest/connection/import/", {"source": source, "file": upload})

    assert response.status_code < 500
    for run_id in queued:
        tasks.import_upload(run_id)
        assert_ended_with_the_good_row(IngestRun.objects.get(pk=run_id))


@pytest.mark.django_db
@PROPERTY
@given(source=hostile_text)
def test_import_usage_takes_any_source_name_or_says_why_not(tmp_path_factory, source) -> None:
    path = tmp_path_factory.mktemp("files") / "u.csv"
    path.write_bytes(csv_file("model", b"gpt-5"))

    try:
        call_command("import_usage", str(path), "--source", source, stdout=io.StringIO())
    except CommandError as exc:
        assert str(exc)
    assert not IngestRun.objects.filter(status=IngestRun.Status.RUNNING).exists()


@pytest.mark.django_db
@PROPERTY
@given(field=st.sampled_from(["email", "name", "team", "manager_email"]), value=hostile_bytes)
def test_hostile_text_in_any_field_of_the_directory_is_imported_or_reported(field, value):
    good = {"email": b"grace@example.com", "name": b"Grace", "team": b"Platform"}
    hostile = {**good, "email": b"hostile@example.com", "manager_email": b"", field: value}
    data = b"email,name,team,manager_email\n" + b",".join([*good.values(), b""]) + b"\n"
    data += b",".join(hostile.values()) + b"\n"

    result = import_people(stream=io.BytesIO(data))

    assert Person.objects.filter(email="grace@example.com").exists()
    assert all(p.reason for p in result.problems)
