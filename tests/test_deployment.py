"""The deployment contract: production settings are safe, migrations match the models."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "tokenboard.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "OIDC_SERVER_URL": "https://sso.example.com",
    "OIDC_CLIENT_ID": "tokenboard",
    "OIDC_CLIENT_SECRET": "secret",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_with_the_development_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_demo_sign_in_cannot_be_switched_on_in_production() -> None:
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEMO_MODE)",
        env={**PRODUCTION, "DEMO_MODE": "true", "OIDC_SERVER_URL": ""},
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_migrations_match_the_models(db) -> None:
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())
