"""Connections: a provider's admin API or a file source, each with its usage source."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction

from leaderboard.models import Source, User
from leaderboard.services import audit, usage

from ..credentials import CredentialError
from ..models import Connection, Provider
from ..providers import (
    DEFAULT_BASE_URLS,
    TENANT_ADAPTERS,
    TENANT_FORMS,
    adapter_for,
    check_connection_url,
)
from ..providers.http import ProviderError, ProviderRejected
from ..records import storable
from ..redaction import redact


def connect_provider(
    *,
    name: str,
    provider: str,
    api_key: str = "",
    base_url: str = "",
    tenant: str = "",
    by: User | None = None,
) -> tuple[Connection, bool]:
    """Create or update a connection (and its usage source); return it and whether it is new."""
    if provider not in Provider.values:
        raise ValueError(f"unknown provider {provider!r}; choose from {', '.join(Provider.values)}")
    check_source_name(name=name, provider=provider)
    with transaction.atomic():
        connection = Connection.objects.filter(name=name).first()
        created = connection is None
        if connection is None:
            connection = Connection(
                name=name, provider=provider, source=source_for(name=name, provider=provider)
            )
        elif connection.provider != provider:
            raise ValueError(
                f"connection {name!r} pulls from {connection.provider}, not {provider}; "
                "choose another name"
            )
        new_url = base_url or connection.base_url or DEFAULT_BASE_URLS[provider]
        if not new_url and provider not in (Provider.FILE, Provider.OTLP):
            raise ValueError(
                f"a {provider} connection has no default address: give its base URL "
                "(for a proxy, its own, e.g. https://litellm.example.com)"
            )
        check_connection_url(provider=provider, base_url=new_url)
        moved = not created and new_url != connection.base_url
        if moved and connection.encrypted_api_key and not api_key:
            raise ValueError(
                f"give the admin key again to move connection {name!r} to {new_url}: "
                "a stored key is only sent where it was entered for"
            )
        connection.base_url = new_url
        if tenant:
            connection.tenant = tenant
        check_tenant(provider=provider, tenant=connection.tenant)
        if provider == Provider.FILE:
            connection.enabled = False  # files are imported, never pulled on a schedule
        if api_key:
            connection.api_key = api_key
        connection.save()
        if created or api_key or base_url or tenant:
            audit.record(
                actor=by,
                action="connection created" if created else ("connection updated"),
                target=connection,
                details={
                    "key replaced": bool(api_key) and not created,
                    "base_url": connection.base_url,
                    "tenant": connection.tenant,
                },
            )
    return connection, created


def save_connection(
    *,
    connection: Connection,
    changed: Iterable[str] = (),
    api_key: str = "",
    by: User | None = None,
) -> Connection:
    """Save a connection as edited in the admin, whose form checked its name and URL."""
    created = connection.pk is None
    with transaction.atomic():
        if created:
            connection.source = source_for(name=connection.name, provider=connection.provider)
        if connection.provider == Provider.FILE:
            connection.enabled = False  # files are imported, never pulled on a schedule
        if api_key:
            connection.api_key = api_key
        connection.save()
        audit.record(
            actor=by,
            action="connection created" if created else "connection changed",
            target=connection,
            details={"fields": list(changed), "key replaced": bool(api_key)},
        )
    return connection


def check_tenant(*, provider: str, tenant: str) -> None:
    """Raise ValueError if a provider whose API names the organisation has none to read."""
    if provider in TENANT_ADAPTERS and not tenant.strip():
        raise ValueError(
            f"a {provider} connection reads one organisation: give its tenant "
            "(see the README's provider table)"
        )
    if provider in TENANT_FORMS:
        TENANT_FORMS[provider](tenant)


def source_for(*, name: str, provider: str) -> Source:
    """The usage source of a new connection. Its provider namespaces account ids: every
    file source gets its own, since one file's ids mean nothing in another."""
    namespace = f"file:{name}" if provider == Provider.FILE else provider
    return usage.ensure_source(name=name, provider=namespace)


# A file source's accounts live under the provider "file:<name>", which must fit the
# 40 characters of Source.provider and Account.provider.
FILE_SOURCE_MAX_LENGTH = 35
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def check_source_name(*, name: str, provider: str) -> None:
    """Raise ValueError unless name can name a connection (and its source) of provider."""
    longest = FILE_SOURCE_MAX_LENGTH if provider == Provider.FILE else 80
    if not SLUG.fullmatch(name):
        raise ValueError(
            f"{name[:80]!r} cannot name a source: use letters, digits, hyphens and underscores"
        )
    if len(name) > longest:
        raise ValueError(f"a source name has at most {longest} characters; {name[:80]!r}… has more")


def _secrets(connection: Connection) -> list[str]:
    try:
        return [connection.api_key]
    except CredentialError:
        return []


def shown(connection: Connection, text: str) -> str:
    """Provider text as it may be stored or shown: nothing key-like, no NUL. (A file carries
    no key, and its rows' long ids must stay readable for review.)"""
    if connection.provider == Provider.FILE:
        return storable(text)
    return storable(redact(text, secrets=_secrets(connection)))


def failure_message(connection: Connection, exc: ProviderError) -> str:
    """A provider's error in words; a refused key comes with how to put a valid one in."""
    if isinstance(exc, ProviderRejected) and exc.bad_key:
        return (
            f"{connection.get_provider_display()} refused the admin key of connection "
            f"'{connection.name}' ({exc}). Put a valid admin key in with "
            f"`manage.py connect_provider {connection.name} --provider {connection.provider} "
            "--api-key-env VAR` or in the admin."
        )
    return str(exc)


def check_connection(*, connection: Connection) -> str:
    """Make one cheap authenticated call to the provider; return what it said."""
    try:
        adapter = adapter_for(
            provider=connection.provider,
            base_url=connection.base_url,
            api_key=connection.api_key,
            tenant=connection.tenant,
            connection_id=connection.pk,
        )
    except CredentialError as exc:
        return str(exc)
    try:
        said = adapter.check()
    except ProviderError as exc:
        said = failure_message(connection, exc)
    finally:
        adapter.close()
    return shown(connection, said)
