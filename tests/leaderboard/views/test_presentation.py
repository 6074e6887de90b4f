"""Presentation mode (issue 20 §4; leaderboard.web.middleware.PresentationMode): with
?present=1 every board and page shows everyone under a pseudonym, for screens and slides,
until ?present=0."""

from __future__ import annotations

from django.urls import reverse

from leaderboard.services.people import set_visibility
from tests.helpers import data, elements, ranks, rows

REAL_NAMES = ["Alice Nguyen", "Bob Okafor", "Carol Diaz", "Dan Ito"]


def no_real_name(page: str) -> None:
    for name in REAL_NAMES:
        assert name not in page
        assert name.split()[1] not in page  # nor a surname alone


def test_a_board_in_presentation_mode_shows_no_real_name(employee_client, volume, field) -> None:
    employee_client.get("/boards/token-volume/")  # the rows with real names, cached

    page = employee_client.get("/boards/token-volume/?present=1").content.decode()

    no_real_name(page)
    assert {cell.text for cell in elements(page, "td", **{"data-team": None})} == {"—"}
    names = [name for _rank, name in ranks(page)]
    assert len(names) == 4 and len(set(names)) == 4
    assert data(page, "presenting") == [""]


def test_the_mode_stays_on_for_the_session_until_turned_off(
    employee_client, volume, field, rival
) -> None:
    board = employee_client.get("/boards/token-volume/?present=1").content.decode()

    for path in [
        "/",
        "/boards/token-volume/",
        reverse("leaderboard:person", args=[rival.public_id]),
        reverse("leaderboard:team", args=[rival.team_id]),
    ]:
        no_real_name(employee_client.get(path).content.decode())
    # one person keeps one presentation name from page to page
    rivals = employee_client.get(reverse("leaderboard:person", args=[rival.public_id]))
    assert ranks(board)[0][1] in rivals.content.decode()

    page = employee_client.get("/boards/token-volume/?present=0").content.decode()
    assert "Bob Okafor" in page
    assert data(page, "presenting") == []


def test_the_viewers_own_row_is_pseudonymous_too(employee_client, volume, field) -> None:
    page = employee_client.get("/boards/token-volume/?present=1").content.decode()

    mine = [row.name for row in rows(page) if row.mine]
    assert mine and "Alice Nguyen" not in mine


def test_presentation_names_are_not_the_peoples_own_pseudonyms(
    employee_client, volume, field, rival
) -> None:
    page = employee_client.get("/boards/token-volume/?present=1").content.decode()

    assert rival.pseudonym not in page


def test_the_owners_ledger_is_not_shown_on_a_shared_screen(employee_client, employee) -> None:
    """The ledger names accounts (often by e-mail): presentation mode leaves it out."""
    set_visibility(person=employee, visibility="pseudonym", by=employee.user)
    path = reverse("leaderboard:person", args=[employee.public_id])
    assert elements(employee_client.get(path).content.decode(), "section", id="ledger")

    page = employee_client.get(f"{path}?present=1").content.decode()

    assert not elements(page, "section", id="ledger")
