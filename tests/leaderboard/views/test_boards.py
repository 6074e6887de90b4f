"""The boards index (leaderboard.web.views.boards.boards): each board's podium and your
place on it, and the site-wide switch that hides every board."""

from __future__ import annotations

from leaderboard.services import boards
from tests.factories import PersonFactory
from tests.helpers import AUG, elements, ranks


def test_boards_index_shows_top_three_and_my_rank(employee_client, seeded_boards, field) -> None:
    page = employee_client.get("/").content.decode()

    (volume,) = elements(page, "article", data_board="token-volume")
    assert ranks(volume.html) == [
        ("1", "Bob Okafor"),
        ("2", "Carol Diaz"),
        ("2", "Dan Ito"),
    ]
    assert "You: <strong>#4</strong> of 4" in volume.html
    assert page.count('class="card board-card"') == 4


def test_site_switch_hides_every_board_and_keeps_my_page(
    employee_client, volume, field, employee, rival
) -> None:
    boards.set_boards_visible(visible=False, by=None)

    for path in [
        "/",
        "/boards/token-volume/",
        f"/teams/{employee.team_id}/",
        f"/people/{rival.public_id}/",
    ]:
        response = employee_client.get(path)
        assert response.status_code == 503
        assert "The leaderboard is not available" in response.content.decode()
    assert employee_client.get(f"/people/{employee.public_id}/").status_code == 200


def test_a_top_only_boards_card_shows_its_top_and_my_own_rank(
    employee_client, volume, usage, employee
) -> None:
    volume.top_only, volume.top_n = True, 2
    volume.save()
    people = [PersonFactory(display_name=f"P{n:02d}") for n in range(5)]
    for n, person in enumerate(people):
        usage(person, AUG, input=1000 * (5 - n))
    usage(employee, AUG, input=1)

    page = employee_client.get("/").content.decode()

    (card,) = elements(page, "article", data_board="token-volume")
    assert ranks(card.html) == [("1", "P00"), ("2", "P01")]
    assert "You: <strong>#6</strong> of 6" in card.html
    assert people[2].public_id not in card.html
