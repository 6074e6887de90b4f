"""Writes about people: adding them, their teams, their login, the directory, managers and
privacy choices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.functions import Lower

from leaderboard.domain.directory import DirectoryProblem, read_directory
from leaderboard.domain.records import AccountRecord
from leaderboard.domain.text import PERSON_NAME_MAX, TEAM_NAME_MAX, clean_text, normalize_email
from leaderboard.models import Person, Team, User
from leaderboard.services import audit
from leaderboard.services.accounts import match_accounts, sync_accounts
from leaderboard.signals import usage_recorded

MANAGERS = "Leaderboard managers"
# The provider namespace of GitHub Copilot accounts (ingest's Provider.COPILOT, which this
# app cannot import): its account ids are GitHub logins.
GITHUB_PROVIDER = "copilot"
EXCLUSION_REASON_MAX = Person._meta.get_field("exclusion_reason").max_length or 200


def ensure_team(*, name: str) -> Team:
    """Return the team called name (made clean text), creating it if needed."""
    team, _ = Team.objects.get_or_create(name=clean_text(name, max_length=TEAM_NAME_MAX))
    return team


def add_person(*, email: str, display_name: str = "", team: Team | None = None) -> Person:
    """Create or update the person with this e-mail, then give them their matching accounts."""
    email = normalize_email(email)
    display_name = clean_text(display_name, max_length=PERSON_NAME_MAX)
    person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person.objects.create(
            email=email, display_name=display_name or email.split("@")[0], team=team
        )
    else:
        person.display_name = display_name or person.display_name
        person.team = team or person.team
        person.save(update_fields=["display_name", "team"])
    match_accounts()
    return person


def save_person(*, person: Person) -> Person:
    """Save a person as a manager edited them (e-mail in its compared form), then give them
    their matching accounts."""
    person.email = normalize_email(person.email)
    with transaction.atomic():
        person.save()
        match_accounts()
    return person


def ensure_user_for_person(*, person: Person) -> User:
    """Return the login of a person, creating one (without a usable password) if needed."""
    if person.user is not None:
        return person.user
    with transaction.atomic():
        user = User.objects.create_user(
            username=f"person-{person.pk}", email=person.email, first_name=person.display_name
        )
        person.user = user
        person.save(update_fields=["user"])
    return user


@dataclass(frozen=True)
class DirectoryImport:
    created: int
    updated: int
    problems: list[DirectoryProblem]


def import_people(*, stream: IO[bytes]) -> DirectoryImport:
    """Create or update people and teams from a directory CSV, then link their accounts."""
    rows, problems = read_directory(stream)
    with transaction.atomic():
        teams = {name: ensure_team(name=name) for name in {r.team for r in rows if r.team}}
        existing: dict[str, Person] = {
            p.email_ci: p
            for p in Person.objects.annotate(email_ci=Lower("email")).filter(
                email_ci__in=[r.email for r in rows]
            )
        }
        created = updated = 0
        for row in rows:
            person = existing.get(row.email)
            if person is None:
                person = Person.objects.create(
                    email=row.email,
                    display_name=row.name or row.email.split("@")[0],
                    team=teams.get(row.team),
                )
                existing[row.email] = person
                created += 1
            else:
                person.display_name = row.name or person.display_name
                person.team = teams.get(row.team, person.team)
                person.save(update_fields=["display_name", "team"])
                updated += 1
        managers = {
            p.email_ci: p
            for p in Person.objects.annotate(email_ci=Lower("email")).filter(
                email_ci__in=[r.manager_email for r in rows if r.manager_email]
            )
        }
        for row in rows:
            if not row.manager_email:
                continue
            manager = managers.get(row.manager_email)
            if manager is None:
                problems.append(
                    DirectoryProblem(
                        row.line,
                        f"manager {row.manager_email} is not in the directory; "
                        f"{row.email} was imported without a manager",
                    )
                )
                continue
            Person.objects.filter(pk=existing[row.email].pk).update(manager=manager)
        # A GitHub login is an account alias: the Copilot account of that login, with the
        # person's e-mail, which match_accounts (in sync_accounts) then gives to the person.
        sync_accounts(
            provider=GITHUB_PROVIDER,
            records=[
                AccountRecord(external_id=row.github_login, email=row.email)
                for row in rows
                if row.github_login
            ],
        )
        match_accounts()
    return DirectoryImport(created, updated, sorted(problems, key=lambda p: p.line))


def link_person(*, user: User, email: str, name: str = "") -> Person:
    """Link a signed-in user to the Person with the address their identity provider
    verified (stored as the user's e-mail too), creating the Person if needed."""
    email = normalize_email(email)
    with transaction.atomic():
        if user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        person = Person.objects.filter(email__iexact=email).first()
        if person is None:
            name = clean_text(name, max_length=Person._meta.get_field("display_name").max_length)
            person = Person.objects.create(email=email, display_name=name or email.split("@")[0])
        if person.user_id != user.pk:
            Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
            person.user = user
            person.save(update_fields=["user"])
        match_accounts()
    return person


def set_manager(*, user: User, manager: bool, by: User | None = None) -> User:
    """Make a user a leaderboard manager (admin access, the managers group), or not."""
    group = Group.objects.get(name=MANAGERS)
    with transaction.atomic():
        if manager:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        user.is_staff = manager or user.is_superuser
        user.save(update_fields=["is_staff"])
        audit.record(
            actor=by, action="manager granted" if manager else "manager revoked", target=user
        )
    return user


def set_visibility(*, person: Person, visibility: str, by: User | None) -> Person:
    """How a person appears on boards: by name, under their pseudonym, or not at all."""
    if visibility not in Person.Visibility.values:
        raise ValueError(f"choose one of {', '.join(Person.Visibility.values)}")
    with transaction.atomic():
        before = person.visibility
        person.visibility = visibility
        person.save(update_fields=["visibility"])
        audit.record(
            actor=by,
            action="privacy changed",
            target=person,
            details={"from": before, "to": visibility},
        )
    return person


class ExclusionError(ValueError):
    """An exclusion from ranking needs a reason (the person's page shows it to them)."""


def set_ranking_exclusion(
    *, people: Iterable[Person], excluded: bool, reason: str = "", by: User | None
) -> list[Person]:
    """Leave people out of every board, team figure and badge (admins, test users), or count
    them again; the reason is shown on their own page."""
    reason = clean_text(reason, max_length=EXCLUSION_REASON_MAX) if excluded else ""
    if excluded and not reason:
        raise ExclusionError("say why the person is excluded from ranking")
    changed = False
    with transaction.atomic():
        chosen = list(people)
        for person in chosen:
            before = person.excluded_from_ranking
            changed |= before != excluded
            # Saving a person moves the usage version (a trigger): stored rankings refresh.
            person.excluded_from_ranking = excluded
            person.exclusion_reason = reason
            person.save(update_fields=["excluded_from_ranking", "exclusion_reason"])
            audit.record(
                actor=by,
                action="excluded from ranking" if excluded else "included in ranking",
                target=person,
                details={"from": before, "to": excluded, "reason": reason},
            )
        if changed:
            # Badges follow: one full pass revokes what the people no longer earn (and moves
            # rank badges to those next in line), or grants it again.
            transaction.on_commit(lambda: usage_recorded.send(sender=Person, start=None, end=None))
    return chosen
