"""The boards index (leaderboard.web.views.boards.boards): each board's podium and your
place on it, and the site-wide switch that hides every board."""

from __future__ import annotations

from leaderboard.services import boards
from tests.helpers import elements, ranks


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
