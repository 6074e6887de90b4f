"""Request counts from a source that cannot report them show as n/a (or are left out with a
note), never as 0: the board's requests lens, a person's totals and the admin's facts."""

from __future__ import annotations

import pytest

from leaderboard.models import Source
from tests.factories import PersonFactory, UserFactory
from tests.leaderboard.views.test_board import ranks

from .conftest import AUG


@pytest.fixture
def claude_code(db) -> Source:
    # Claude Code reports sessions, not requests (leaderboard.capabilities)
    return Source.objects.create(name="claude-code", provider="claude_code")


@pytest.fixture
def mixed(usage, alice, bob, claude_code):
    """Alice on OpenAI (requests reported) and Claude Code; Bob on Claude Code only."""
    usage(alice, AUG, input=1_000, output=100, requests=7)
    usage(alice, AUG, source=claude_code, model="claude-opus-5", input=5_000, output=900)
    usage(bob, AUG, source=claude_code, model="claude-opus-5", input=90_000, output=9_000)
    return {"alice": alice, "bob": bob}


@pytest.fixture
def employee(client, alice):
    client.force_login(alice.user)
    return client


def test_the_requests_lens_leaves_out_sources_that_report_no_requests_with_a_note(
    employee, volume, mixed
):
    page = employee.get("/boards/token-volume/", {"lens": "requests"}).content.decode()

    assert ranks(page) == [("1", "Alice Nguyen")]  # Bob made no *known* requests: not "0"
    assert '<td class="num" title="7">7</td>' in page
    assert "claude-code cannot (n/a, not 0)" in page
    other_lens = employee.get("/boards/token-volume/", {"lens": "total_tokens"}).content.decode()
    assert [name for _, name in ranks(other_lens)] == ["Bob Okafor", "Alice Nguyen"]
    assert "cannot (n/a, not 0)" not in other_lens


def test_a_board_of_sources_that_all_report_requests_ranks_them_without_a_note(
    employee, volume, usage, alice
):
    usage(alice, AUG, input=1_000, requests=3)

    page = employee.get("/boards/token-volume/", {"lens": "requests"}).content.decode()

    assert ranks(page) == [("1", "Alice Nguyen")]
    assert "cannot (n/a, not 0)" not in page


def test_a_persons_requests_are_na_when_none_of_their_usage_reports_requests(client, volume, mixed):
    bob = mixed["bob"]
    bob.user = UserFactory(username="bob")
    bob.save()
    client.force_login(bob.user)

    page = client.get(f"/people/{bob.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>n/a</dd>" in page


def test_a_persons_requests_count_only_the_sources_that_report_them(employee, volume, mixed):
    alice = mixed["alice"]

    page = employee.get(f"/people/{alice.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>7 <small" in page
    assert "from sources that report them" in page


def test_a_person_with_no_usage_made_zero_requests(employee, volume, alice):
    page = employee.get(f"/people/{alice.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>0</dd>" in page


def test_the_admin_lists_a_fact_from_a_source_without_request_counts_as_na(
    client, usage, claude_code
):
    usage(PersonFactory(), AUG, source=claude_code, model="claude-opus-5", input=10)
    usage(PersonFactory(), AUG, model="gpt-5", input=10, requests=4)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/admin/leaderboard/usagefact/").content.decode()

    cells = page.split('class="field-requests_shown">')[1:]
    assert sorted(c.split("<", 1)[0] for c in cells) == ["4", "n/a"]
