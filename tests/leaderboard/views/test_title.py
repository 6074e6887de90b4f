"""The title a person shows beside their name, chosen from their badges' titles on their own
page (badges.views.choose_title, served under the person's URL)."""

from __future__ import annotations

from tests.helpers import grant_first_badge, post_notices_seen


def test_owner_chooses_a_title_and_sees_new_badges_once(
    employee_client, seeded_boards, field, employee
) -> None:
    badge = grant_first_badge(employee, name="Trail Blazer", icon="T", title="Trailblazer")

    first = employee_client.get(f"/people/{employee.public_id}/").content.decode()
    unseen = employee_client.get(f"/people/{employee.public_id}/").content.decode()  # no write
    seen = post_notices_seen(employee_client, first)  # as the notice does when the page loads
    second = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    assert "New badge:" in unseen and seen.status_code == 204
    assert "New badge:" in first and "New badge" not in second
    response = employee_client.post(
        f"/people/{employee.public_id}/title/", {"badge": badge.pk}, follow=True
    )
    assert "Your title is now Trailblazer." in response.content.decode()
    standings = employee_client.get("/boards/token-volume/").content.decode()
    assert '<span class="title">Trailblazer</span>' in standings


def test_nobody_changes_someone_elses_title(employee_client, field, rival) -> None:
    """Refused exactly as for an id nobody has: a 403 would confirm the person exists."""
    others = employee_client.post(f"/people/{rival.public_id}/title/", {"badge": ""})
    nobody = employee_client.post("/people/nobody-has-this/title/", {"badge": ""})

    assert others.status_code == nobody.status_code == 404
