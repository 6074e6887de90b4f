"""Per-viewer watermarks (issue 20 §4): every signed-in page and every export carries a code
that resolve_watermark, and only it, turns back into the viewer."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from leaderboard.models import AuditEvent
from tests.factories import UserFactory
from tests.helpers import AUG, data, elements


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def page_watermark(client) -> str:
    (mark,) = data(client.get(reverse("leaderboard:boards")).content.decode(), "watermark")
    return mark


def test_the_code_on_a_page_resolves_to_its_viewer(employee_client, employee) -> None:
    code, day, _time = page_watermark(employee_client).split()

    out = run("resolve_watermark", code)

    assert f"{code} on {day}: {employee.user.email}" in out
    event = AuditEvent.objects.get(action="watermark resolved")
    assert event.target_id == str(employee.user.pk)
    assert event.details == {"code": code, "day": day}


def test_two_viewers_get_different_codes(employee_client, manager) -> None:
    alices = page_watermark(employee_client)
    employee_client.force_login(manager)

    assert page_watermark(employee_client).split()[0] != alices.split()[0]


def test_the_code_does_not_name_the_viewer(employee_client, employee) -> None:
    code = page_watermark(employee_client).split()[0]

    assert len(code) == 8
    assert employee.user.username.upper() not in code
    assert "ALICE" not in code


def test_the_overlay_needs_no_inline_style(employee_client) -> None:
    html = employee_client.get(reverse("leaderboard:boards")).content.decode()

    (overlay,) = elements(html, "div", **{"class": "watermark"})
    assert "style=" not in overlay.html
    assert overlay.attrs["aria-hidden"] == "true"


def test_a_signed_out_page_has_no_watermark(db, client) -> None:
    assert data(client.get(reverse("account_login")).content.decode(), "watermark") == []


def test_an_unknown_code_resolves_to_no_one(employee) -> None:
    with pytest.raises(CommandError, match="No viewer"):
        run("resolve_watermark", "AAAAAAAA")
    assert not AuditEvent.objects.filter(action="watermark resolved").exists()


def test_an_export_carries_its_viewers_code(usage, employee, manager) -> None:
    usage(employee, AUG, input=1000)
    rows = list(csv.DictReader(io.StringIO(run("export_awards", "--viewer", manager.email))))
    usage = list(
        csv.DictReader(
            io.StringIO(
                run(
                    "export_usage",
                    "--start",
                    "2026-08-01",
                    "--end",
                    "2026-08-31",
                    "--viewer",
                    manager.email,
                )
            )
        )
    )
    assert rows == []  # no awards: the header still names the column
    code = usage[0]["watermark"].split()[0]

    assert f": {manager.email}" in run("resolve_watermark", code)


def test_an_export_for_an_unknown_viewer_is_refused(db) -> None:
    with pytest.raises(CommandError, match="must sign in once"):
        run("export_awards", "--viewer", "nobody@example.com")


def test_a_code_typed_in_lower_case_resolves(db, client) -> None:
    client.force_login(UserFactory(username="carol", email="carol@example.com"))
    code = page_watermark(client).split()[0]

    assert "carol@example.com" in run("resolve_watermark", code.lower())


def test_a_manager_resolves_a_code_in_the_admin_and_it_is_audited(
    employee_client, employee, client, manager
) -> None:
    code, day, _time = page_watermark(employee_client).split()
    client.force_login(manager)
    listing = client.get("/admin/leaderboard/pageview/").content.decode()
    assert "/admin/leaderboard/pageview/watermark/" in listing

    found = client.post("/admin/leaderboard/pageview/watermark/", {"code": code.lower()})
    missing = client.post(
        "/admin/leaderboard/pageview/watermark/", {"code": "AAAAAAAA", "day": day}
    )
    bad_day = client.post("/admin/leaderboard/pageview/watermark/", {"code": code, "day": "x"})

    (match,) = elements(found.content.decode(), "li", data_viewer=None)
    assert match.attrs["data-viewer"] == str(employee.user.pk)
    assert day in match.html and employee.user.email in match.html
    assert "No viewer has that code" in missing.content.decode()
    assert bad_day.status_code == 200 and "Enter a valid date" in bad_day.content.decode()
    event = AuditEvent.objects.get(action="watermark resolved")
    assert (event.actor, event.target_id) == (manager, str(employee.user.pk))
    assert event.details == {"code": code.lower(), "day": day}


def test_only_staff_reach_the_watermark_search(employee_client) -> None:
    response = employee_client.get("/admin/leaderboard/pageview/watermark/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
