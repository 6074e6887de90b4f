from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from leaderboard.models import Account, Person, Team
from leaderboard.services.people import import_people
from tests.factories import AccountFactory

PEOPLE = Path(__file__).parent.parent / "data" / "people.csv"


def test_import_people_creates_teams_people_and_managers(db) -> None:
    with PEOPLE.open("rb") as stream:
        result = import_people(stream=stream)

    assert (result.created, result.updated) == (3, 0)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            4,
            "manager nobody@example.com is not in the directory; bob.okafor@example.com was "
            "imported without a manager",
        ),
        (5, "email 'not-an-email' is not an e-mail address"),
        (6, "alice.nguyen@example.com is already on line 3"),
    ]
    alice = Person.objects.get(email="alice.nguyen@example.com")
    assert (alice.display_name, alice.team.name, alice.manager.email) == (
        "Alice Nguyen",
        "Platform",
        "grace.hopper@example.com",
    )
    assert set(Team.objects.values_list("name", flat=True)) == {"Platform", "Payments"}


def test_import_people_updates_people_and_links_waiting_accounts(alice) -> None:
    waiting = AccountFactory(person=None, email="bob.okafor@example.com")

    with PEOPLE.open("rb") as stream:
        result = import_people(stream=stream)

    assert (result.created, result.updated) == (2, 1)
    waiting.refresh_from_db()
    assert waiting.person.email == "bob.okafor@example.com"
    assert waiting.matched_by == Account.MatchedBy.EMAIL


def test_import_people_command_prints_problems_with_line_numbers(db) -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command("import_people", str(PEOPLE), stdout=out, stderr=err)

    assert "people.csv: 3 people created, 0 updated, 3 problem(s)" in out.getvalue()
    assert "line 5: email 'not-an-email' is not an e-mail address" in err.getvalue()


def test_import_people_refuses_a_file_without_the_columns(db, tmp_path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("mail,fullname\nx@example.com,X\n")

    with pytest.raises(CommandError, match="the header lacks email, name"):
        call_command("import_people", str(path))


def test_import_people_strips_invisible_and_direction_characters(platform) -> None:
    csv = (
        "email,name,team\n"
        "ada@example.com,Ada\u200b Alv\u202earez\u202c,Plat\u200dform\n"
        "eve@example.com,\u2067Eve\u2069  Adams\ufeff,\u200b\n"
    )

    result = import_people(stream=io.BytesIO(csv.encode()))

    assert (result.created, result.problems) == (2, [])
    ada, eve = Person.objects.order_by("email")
    assert (ada.display_name, ada.team) == ("Ada Alvarez", platform)  # not a look-alike team
    assert (eve.display_name, eve.team) == ("Eve Adams", None)
    assert list(Team.objects.values_list("name", flat=True)) == ["Platform"]


def test_import_people_skips_hostile_lines_with_their_reason_and_imports_the_rest(db) -> None:
    lines = [
        b"email,name,team,manager_email\n",
        b"grace@example.com,Grace Hopper,Platform,\n",
        b"long@example.com," + b"n" * 201 + b",Platform,\n",
        b"team@example.com,Team Player," + b"t" * 121 + b",\n",
        b"e" * 250 + b"@example.com,Too Long,Platform,\n",
        b"nul\x00@example.com,Nul Mail,Platform,\n",
        b"ada@example.com,Ada\x00 Love\xe2\x80\x8blace,Plat\x00form,bad\x00@example.com\n",
        b"latin@example.com,Jos\xe9,Platform,\n",
        b'quote@example.com,"' + b"q" * 140_000 + b'",Platform,\n',
        b"extra@example.com,Extra,Platform,,,\n",
        b"last@example.com,Last One,Platform,grace@example.com\n",
    ]

    result = import_people(stream=io.BytesIO(b"".join(lines)))

    assert [(p.line, p.reason) for p in result.problems] == [
        (3, "name is 201 characters long; at most 200"),
        (4, "team is 121 characters long; at most 120"),
        (5, "email is 262 characters long; at most 254"),
        (6, "email 'nul\\x00@example.com' is not an e-mail address"),
        (
            7,
            "manager email 'bad\\x00@example.com' is not an e-mail address; ada@example.com "
            "was imported without a manager",
        ),
        (8, "not UTF-8 text (byte 0xe9 at byte 22)"),
        (9, "unreadable CSV (field larger than field limit (131072))"),
        (10, "more fields than the header's 4"),
    ]
    assert result.created == 3
    ada = Person.objects.get(email="ada@example.com")
    assert (ada.display_name, ada.team.name, ada.manager) == ("Ada Lovelace", "Plat form", None)
    assert Person.objects.get(email="last@example.com").manager.email == "grace@example.com"
