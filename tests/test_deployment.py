"""The deployment contract: production settings are safe, migrations match the models."""

from __future__ import annotations

import io
import json
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
    "OIDC_PROVIDERS": "okta",
    "OIDC_OKTA_SERVER_URL": "https://company.okta.com/oauth2/default",
    "OIDC_OKTA_CLIENT_ID": "tokenboard",
    "OIDC_OKTA_CLIENT_SECRET": "secret",
    "ALLOWED_EMAIL_DOMAINS": "company.com",
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


def test_the_deploy_check_fails_without_sso_or_allowed_domains() -> None:
    env = {**PRODUCTION, "OIDC_PROVIDERS": "", "ALLOWED_EMAIL_DOMAINS": ""}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "tokenboard.W001" in result.stderr and "tokenboard.W002" in result.stderr


def test_identity_providers_come_from_the_environment() -> None:
    env = {
        **PRODUCTION,
        "OIDC_PROVIDERS": "google,entra",
        "OIDC_GOOGLE_SERVER_URL": "https://accounts.google.com",
        "OIDC_GOOGLE_CLIENT_ID": "g",
        "OIDC_GOOGLE_CLIENT_SECRET": "gs",
        "OIDC_GOOGLE_HD": "company.com",
        "OIDC_ENTRA_SERVER_URL": "https://login.microsoftonline.com/tid-1/v2.0",
        "OIDC_ENTRA_CLIENT_ID": "e",
        "OIDC_ENTRA_CLIENT_SECRET": "es",
        "OIDC_ENTRA_TENANT_ID": "tid-1",
        "OIDC_ENTRA_VERIFIED_EMAIL_DOMAINS": "company.com",
    }
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS['openid_connect']))"
    )

    result = manage("shell", "-c", code, env=env)

    config = json.loads(result.stdout.strip().splitlines()[-1])
    google, entra = config["APPS"]
    assert config["OAUTH_PKCE_ENABLED"] is True
    assert google["settings"]["auth_params"] == {"hd": "company.com"}
    assert google["settings"]["required_claims"] == {"hd": "company.com"}
    assert entra["settings"]["required_claims"] == {"tid": "tid-1"}
    assert entra["settings"]["verified_email"] == ["company.com"]


def test_migrations_match_the_models(db) -> None:
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_saml_is_configured_from_the_environment_and_publishes_sp_metadata(tmp_path) -> None:
    env = {
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'saml.sqlite3'}",
        "ALLOWED_HOSTS": "tokenboard.example.com",
        "SAML_ORGANIZATION": "acme",
        "SAML_IDP_ENTITY_ID": "https://idp.acme.test/",
        "SAML_IDP_SSO_URL": "https://idp.acme.test/sso",
        "SAML_IDP_X509CERT": "MIIBfake",
    }
    code = (
        "from django.test import Client; r = Client().get('/accounts/saml/acme/metadata/', "
        "HTTP_HOST='tokenboard.example.com', secure=True); "
        "print(r.status_code, r.content.decode().count('AssertionConsumerService'))"
    )

    assert manage("migrate", "--no-input", env=env).returncode == 0
    result = manage("shell", "-c", code, env=env)

    assert result.stdout.strip().splitlines()[-1] == "200 1", result.stderr


def test_the_demos_seed_on_sqlite_without_redis_prints_no_broker_noise(tmp_path) -> None:
    """`make run`'s path: SQLite, no Redis, Celery eager. kombu used to print "No hostname
    was supplied. Reverting to default 'localhost'" there, about a broker nobody uses."""
    demo = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
    }
    assert manage("migrate", "--no-input", "-v", "0", env=demo).returncode == 0

    result = manage("seed_demo", "--days", "3", env=demo)

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Demo data ready" in output
    assert "hostname" not in output.lower(), output
