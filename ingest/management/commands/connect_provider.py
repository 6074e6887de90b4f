from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.services.connections import connect_provider
from ingest.services.receiver import connect_receiver

PROVIDERS = ["openai", "anthropic", "claude_code", "cursor", "copilot", "litellm", "otlp"]


class Command(BaseCommand):
    help = "Create or update a provider connection; the admin key is read from an env variable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a short name for this connection, e.g. openai-main")
        parser.add_argument("--provider", required=True, choices=PROVIDERS)
        parser.add_argument(
            "--api-key-env",
            default="",
            metavar="VAR",
            help="name of the environment variable holding the admin API key (not for otlp)",
        )
        parser.add_argument(
            "--new-token",
            action="store_true",
            help="otlp: issue a new bearer token (the old one stops working)",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="defaults to the provider's real API (a LiteLLM proxy has none: give its address)",
        )
        parser.add_argument(
            "--tenant",
            default="",
            help="the organisation the key reads, for providers whose API names it "
            "(see the README's provider table)",
        )

    def handle(self, *args: object, **options: str) -> None:
        if options["provider"] == "otlp":
            self.receiver(options["name"], new_token=bool(options["new_token"]))
            return
        if not options["api_key_env"]:
            raise CommandError("--api-key-env is required for this provider")
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

    def receiver(self, name: str, *, new_token: bool) -> None:
        """An OpenTelemetry receiver: it has no key; exporters send it a bearer token, shown
        here once."""
        try:
            connection, token = connect_receiver(name=name, new_token=new_token)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Receiver {connection.name} (otlp) takes metrics at "
            f"/otlp/{connection.name}/v1/metrics."
        )
        if token:
            self.stdout.write(
                "Its bearer token, shown this once (stored only as a hash):\n"
                f'  OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer {token}"'
            )
        else:
            self.stdout.write("It keeps its token; --new-token replaces it.")
