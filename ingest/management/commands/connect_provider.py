from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.services.connections import connect_provider

PROVIDERS = ["openai", "anthropic", "claude_code", "cursor", "copilot"]


class Command(BaseCommand):
    help = "Create or update a provider connection; the admin key is read from an env variable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a short name for this connection, e.g. openai-main")
        parser.add_argument("--provider", required=True, choices=PROVIDERS)
        parser.add_argument(
            "--api-key-env",
            required=True,
            metavar="VAR",
            help="name of the environment variable holding the admin API key",
        )
        parser.add_argument("--base-url", default="", help="defaults to the provider's real API")
        parser.add_argument(
            "--tenant",
            default="",
            help="the organisation the key reads, for providers whose API names it "
            "(see the README's provider table)",
        )

    def handle(self, *args: object, **options: str) -> None:
        api_key = os.environ.get(options["api_key_env"], "").strip()
        if not api_key:
            raise CommandError(f"environment variable {options['api_key_env']} is not set or empty")
        try:
            connection, created = connect_provider(
                name=options["name"],
                provider=options["provider"],
                api_key=api_key,
                base_url=options["base_url"],
                tenant=options["tenant"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connection {connection.name} ({connection.provider}, "
            f"{connection.base_url}); key stored encrypted."
        )
