"""Who may have data exported for them is a permission (leaderboard.export_data), separate
from seeing the boards: managers have it, employees do not (issue 20 §4)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from leaderboard.models import PageView


def export(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("command", ["export_awards", "export_usage"])
def test_an_employee_may_not_have_an_export_made_for_them(command, employee) -> None:
    dates = ["--start", "2026-08-01", "--end", "2026-08-31"] if command == "export_usage" else []

    with pytest.raises(CommandError, match="may not have data exported"):
        export(command, *dates, "--viewer", employee.user.email)
    assert not PageView.objects.exists()


def test_a_manager_may(manager) -> None:
    assert manager.has_perm("leaderboard.export_data")
    assert export("export_awards", "--viewer", manager.email).startswith('"email"')


def test_the_permission_alone_lets_an_employee_export(employee) -> None:
    user = employee.user
    user.user_permissions.add(Permission.objects.get(codename="export_data"))

    assert export("export_awards", "--viewer", user.email).startswith('"email"')


def test_seeing_boards_does_not_need_it(employee_client, volume) -> None:
    assert not employee_client.get("/boards/token-volume/").wsgi_request.user.has_perm(
        "leaderboard.export_data"
    )
    assert employee_client.get("/boards/token-volume/").status_code == 200
