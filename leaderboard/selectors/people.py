"""Reads about people as users: who owns an e-mail address."""

from __future__ import annotations

from leaderboard.models import Person, User


def owner_of_email(email: str) -> User | None:
    """The login an e-mail address belongs to: its Person's user, else a user with that
    e-mail (compared case-insensitively, like every e-mail here)."""
    person = (
        Person.objects.filter(email__iexact=email, user__isnull=False)
        .select_related("user")
        .first()
    )
    if person is not None:
        return person.user
    return User.objects.filter(email__iexact=email).order_by("pk").first()
