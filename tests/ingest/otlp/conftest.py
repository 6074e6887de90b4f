"""Fixtures for the OpenTelemetry receiver: a receiver connection with its token, and the
official OpenTelemetry Python SDK exporting to the running app over OTLP/HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from ingest.models import Connection
from ingest.services.receiver import connect_receiver


@dataclass
class Receiver:
    connection: Connection
    token: str

    def path(self) -> str:
        return f"/otlp/{self.connection.name}/v1/metrics"


@pytest.fixture
def receiver(db) -> Receiver:
    connection, token = connect_receiver(name="claude-otel")
    return Receiver(connection, token)


class RecordingSession(requests.Session):
    """A requests session that keeps every request the exporter sent, to send one again
    byte for byte (an exporter retrying after a lost answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[requests.Response] = []

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((str(url), kwargs))
        answer = super().request(method, url, **kwargs)
        self.answers.append(answer)
        return answer

    def resend(self, index: int = -1) -> requests.Response:
        url, kwargs = self.sent[index]
        return super().request("POST", url, **kwargs)


@dataclass
class ClaudeCode:
    """Claude Code's two usage counters, recorded through the SDK and exported to Tokenboard
    (https://code.claude.com/docs/en/monitoring-usage: claude_code.token.usage with `type`
    and `model`, claude_code.cost.usage in USD, standard attributes such as user.email)."""

    provider: MeterProvider
    session: RecordingSession
    tokens: Any
    cost: Any
    attributes: dict[str, str] = field(default_factory=dict)

    def use(
        self,
        *,
        model: str,
        email: str,
        input: int = 0,
        output: int = 0,
        cache_read: int = 0,
        cache_creation: int = 0,
        cost: float = 0.0,
    ) -> None:
        attrs = {**self.attributes, "user.email": email, "model": model}
        for kind, n in (
            ("input", input),
            ("output", output),
            ("cacheRead", cache_read),
            ("cacheCreation", cache_creation),
        ):
            if n:
                self.tokens.add(n, {**attrs, "type": kind})
        if cost:
            self.cost.add(cost, attrs)

    def export(self) -> None:
        assert self.provider.force_flush(10_000)


@pytest.fixture
def claude_code(live_server, receiver) -> Iterator[Callable[..., ClaudeCode]]:
    """A factory of SDK meter providers exporting to the live app, in a chosen temporality."""
    made: list[MeterProvider] = []

    def make(
        temporality: str = "cumulative",
        *,
        token: str | None = None,
        gzip: bool = False,
        name: str | None = None,
    ) -> ClaudeCode:
        session = RecordingSession()
        chosen = (
            AggregationTemporality.DELTA
            if temporality == "delta"
            else AggregationTemporality.CUMULATIVE
        )
        exporter = OTLPMetricExporter(
            endpoint=f"{live_server.url}/otlp/{name or receiver.connection.name}/v1/metrics",
            headers={"Authorization": f"Bearer {receiver.token if token is None else token}"},
            compression=Compression.Gzip if gzip else Compression.NoCompression,
            session=session,
            preferred_temporality={Counter: chosen},
        )
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(
            metric_readers=[reader],
            resource=Resource.create({"service.name": "claude-code", "service.version": "2.1.0"}),
        )
        made.append(provider)
        meter = provider.get_meter("com.anthropic.claude_code", "2.1.0")
        return ClaudeCode(
            provider=provider,
            session=session,
            tokens=meter.create_counter("claude_code.token.usage", unit="tokens"),
            cost=meter.create_counter("claude_code.cost.usage", unit="USD"),
            attributes={
                "session.id": "s-1",
                "organization.id": "org-1",
                "user.account_uuid": "acc-1",
            },
        )

    yield make
    for provider in made:
        provider.shutdown(timeout_millis=1000)


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
