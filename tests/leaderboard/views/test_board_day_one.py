"""A board on the first days of its period: while the current period is young it opens on the
last complete one, says so and links to the current one; the index cards do the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine
from django.test import Client

from leaderboard.models import Person
from tests.helpers import HTMX, elements, ranks

DEC_1 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)  # the second day of ISO week 49
DEC_15 = dt.datetime(2026, 12, 15, 9, tzinfo=dt.UTC)
NOV = dt.date(2026, 11, 20)


@contextmanager
def signed_in_at(when: dt.datetime, client: Client, person: Person) -> Iterator[None]:
    """The clock at when, with person signed in again (a session from the tests' August
    clock has expired by December)."""
    with time_machine.travel(when, tick=False):
        client.force_login(person.user)
        yield


def period_shown(page: str) -> str:
    (nav,) = elements(page, "nav", aria_label="Period")
    return elements(nav.html, "strong")[0].text


def young_note(page: str) -> str:
    notes = elements(page, data_young=None)
    return notes[0].text if notes else ""


@pytest.fixture
def november_and_december(usage, employee, rival, volume) -> None:
    """Bob led November; on 1 December only Alice has a little usage."""
    usage(employee, NOV, input=1_000)
    usage(rival, NOV, input=2_000)
    usage(employee, dt.date(2026, 12, 1), input=5)


def test_on_the_first_day_of_a_month_a_month_board_opens_on_last_month(
    employee_client, employee, november_and_december
) -> None:
    with signed_in_at(DEC_1, employee_client, employee):
        page = employee_client.get("/boards/token-volume/").content.decode()

        assert period_shown(page) == "November 2026"
        assert ranks(page) == [("1", "Bob Okafor"), ("2", "Alice Nguyen")]
        assert young_note(page) == (
            "December has just begun: showing November 2026. Day 1 of 31 · 30 left. "
            "Show December so far"
        )
        (link,) = elements(young_note_html(page), "a")
        current = employee_client.get(
            "/boards/token-volume/" + (link.attrs["href"] or "")
        ).content.decode()

    assert period_shown(current) == "December 2026"
    assert ranks(current) == [("1", "Alice Nguyen")]
    assert young_note(current) == "Day 1 of 31 · 30 left: standings fill in as usage arrives."


def young_note_html(page: str) -> str:
    return elements(page, data_young=None)[0].html


def test_the_previous_period_from_last_month_is_the_month_before(
    employee_client, employee, november_and_december
) -> None:
    with signed_in_at(DEC_1, employee_client, employee):
        page = employee_client.get("/boards/token-volume/", {"back": 2}, **HTMX).content.decode()

    assert period_shown(page) == "October 2026"
    assert young_note(page) == ""
    assert "No usage was recorded in October 2026." in page  # a past month: no "yet"


def test_a_week_board_on_its_second_day_shows_the_current_week(
    employee_client, usage, employee, seeded_boards
) -> None:
    usage(employee, dt.date(2026, 12, 1), input=5)
    with signed_in_at(DEC_1, employee_client, employee):
        page = employee_client.get("/boards/output/").content.decode()

    assert period_shown(page).startswith("Week 49, 2026")
    assert young_note(page) == ""


def test_a_week_board_on_monday_opens_on_last_week(
    employee_client, usage, employee, seeded_boards
) -> None:
    usage(employee, dt.date(2026, 11, 27), input=5, output=5)
    with signed_in_at(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), employee_client, employee):
        page = employee_client.get("/boards/output/").content.decode()

    assert period_shown(page).startswith("Week 48, 2026")
    assert young_note(page).startswith("Week 49 has just begun: showing Week 48, 2026")
    assert "Day 1 of 7 · 6 left." in young_note(page)
    assert ranks(page) == [("1", "Alice Nguyen")]


def test_mid_month_a_board_opens_on_the_current_month(
    employee_client, november_and_december, usage, employee
) -> None:
    usage(employee, dt.date(2026, 12, 14), input=5)
    with signed_in_at(DEC_15, employee_client, employee):
        page = employee_client.get("/boards/token-volume/").content.decode()

    assert period_shown(page) == "December 2026"
    assert ranks(page) == [("1", "Alice Nguyen")]
    assert young_note(page) == ""


def test_on_the_first_day_of_a_month_the_index_shows_last_months_rank(
    employee_client, employee, november_and_december
) -> None:
    with signed_in_at(DEC_1, employee_client, employee):
        page = employee_client.get("/").content.decode()

    (card,) = elements(page, "article", data_board="token-volume")
    assert "November 2026 (December has just begun)" in card.text
    assert "You: #2 of 2" in card.text
    assert "not ranked" not in card.text


def test_an_empty_current_period_says_what_will_appear_and_when(
    employee_client, employee, volume
) -> None:
    with signed_in_at(DEC_15, employee_client, employee):
        page = employee_client.get("/boards/token-volume/").content.decode()
        index = employee_client.get("/").content.decode()

    assert (
        "No usage recorded for December 2026 yet: people appear here, ranked, as soon as their"
        " usage in it is pulled from the providers." in page
    )
    (card,) = elements(index, "article", data_board="token-volume")
    assert (
        "Nobody ranked in December 2026 yet: people appear as soon as their usage is pulled."
        in card.text
    )
