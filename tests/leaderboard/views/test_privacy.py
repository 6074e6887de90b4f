"""A person's choice of how they appear on boards (leaderboard.web.views.people.privacy): by
name, under a pseudonym, or not at all; theirs alone to make, and audited."""

from __future__ import annotations

from leaderboard.models import AuditEvent


def test_a_person_chooses_how_they_appear_and_it_is_audited(viewer, employee) -> None:
    page = viewer.get(f"/people/{employee.public_id}/").content.decode()
    assert f"Under a pseudonym ({employee.pseudonym})" in page

    response = viewer.post(
        f"/people/{employee.public_id}/privacy/", {"visibility": "pseudonym"}, follow=True
    )

    assert "You now appear on boards under a pseudonym." in response.content.decode()
    employee.refresh_from_db()
    assert employee.visibility == "pseudonym"
    event = AuditEvent.objects.get(action="privacy changed")
    assert (event.actor, event.target_id, event.details) == (
        employee.user,
        str(employee.pk),
        {"from": "name", "to": "pseudonym"},
    )


def test_nobody_chooses_for_someone_else(viewer, rival) -> None:
    """Refused exactly as for an id nobody has: a 403 would confirm the person exists."""
    theirs = viewer.post(f"/people/{rival.public_id}/privacy/", {"visibility": "hidden"})
    nobody = viewer.post("/people/nobody-has-this/privacy/", {"visibility": "hidden"})

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.content == nobody.content
    rival.refresh_from_db()
    assert rival.visibility == "name"
