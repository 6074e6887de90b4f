"""Usage nobody owns yet (leaderboard.web.views.manage.unattributed), for managers only."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import AccountFactory, UsageFactFactory
from tests.helpers import AUG


def test_unattributed_page_is_for_managers_only(
    employee_client, client, manager, seeded_boards, usage
) -> None:
    UsageFactFactory(
        account=AccountFactory(person=None, external_id="key-x"),
        source=usage.source,
        day=AUG,
        input=1_500_000,
        cost=Decimal("2.50"),
    )
    assert employee_client.get("/manage/unattributed/").status_code == 404

    client.force_login(manager)
    page = client.get("/manage/unattributed/").content.decode()
    assert "1.5M" in page and "$2.50" in page
    assert "/admin/leaderboard/account/" in page


def test_unattributed_page_shows_unpriced_usage_as_not_priced(manager_client, usage, seeded_boards):
    UsageFactFactory(
        account=AccountFactory(person=None, external_id="key-x"),
        source=usage.source,
        day=AUG,
        model="mystery-model",
        input=1_500_000,
    )

    page = manager_client.get("/manage/unattributed/").content.decode()

    row = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert ">n/a</abbr>" in row and "$0.00" not in row
