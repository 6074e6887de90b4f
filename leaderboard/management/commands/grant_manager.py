from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaderboard.models import User
from leaderboard.services.people import set_manager


class Command(BaseCommand):
    help = "Make a signed-in user a leaderboard manager (admin access), or revoke it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        user = User.objects.filter(email__iexact=str(options["email"]).strip()).first()
        if user is None:
            raise CommandError(
                f"No user with e-mail {options['email']}: they must sign in once first."
            )
        set_manager(user=user, manager=not options["revoke"])
        state = "no longer a manager" if options["revoke"] else "a leaderboard manager"
        self.stdout.write(f"{user.email} is now {state}.")
