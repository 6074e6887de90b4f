"""OTLP/JSON requests and hostile bodies: a JSON export in the spec's encoding is read like
protobuf; an unreadable body is answered 400 (which exporters do not retry) and kept for
review; a damaged data point is refused alone, the rest of its request kept, and the answer's
partial_success counts it. Never a 500.

The JSON shape follows opentelemetry-proto's examples/metrics.json and the spec's "JSON
Protobuf Encoding" ("Values of enum fields MUST be encoded as integer values", "64-bit
integer numbers ... are encoded as decimal strings", keys in lowerCamelCase)."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import ReceivedPoint, RejectedRow
from ingest.services.receiver import connect_receiver, fold
from leaderboard.models import UsageFact

NOW_NS = int(dt.datetime.now(dt.UTC).timestamp() * 1e9)
START_NS = NOW_NS - 3_600_000_000_000


def attr(key: str, value: str) -> dict[str, object]:
    return {"key": key, "value": {"stringValue": value}}


def token_point(kind: str, value: int, email: str = "erin@example.com") -> dict[str, object]:
    return {
        "asInt": str(value),
        "startTimeUnixNano": str(START_NS),
        "timeUnixNano": str(NOW_NS),
        "attributes": [
            attr("type", kind),
            attr("model", "claude-sonnet-4-5"),
            attr("user.email", email),
            attr("session.id", "s-json"),
        ],
    }


def request_body(points: list[dict[str, object]]) -> dict[str, object]:
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": [attr("service.name", "claude-code")]},
                "scopeMetrics": [
                    {
                        "scope": {"name": "com.anthropic.claude_code", "version": "2.1.0"},
                        "metrics": [
                            {
                                "name": "claude_code.token.usage",
                                "unit": "tokens",
                                "sum": {
                                    "aggregationTemporality": 1,  # DELTA
                                    "isMonotonic": True,
                                    "dataPoints": points,
                                },
                            },
                            {  # not usage: accepted, ignored
                                "name": "claude_code.session.count",
                                "sum": {
                                    "aggregationTemporality": 1,
                                    "isMonotonic": True,
                                    "dataPoints": [{"asInt": "1", "timeUnixNano": str(NOW_NS)}],
                                },
                            },
                        ],
                    }
                ],
            }
        ]
    }


@pytest.fixture
def sender(db):
    connection, token = connect_receiver(name="json-cli")
    client = Client()

    def send(body: bytes, content_type: str = "application/json", **headers: str):
        return client.post(
            f"/otlp/{connection.name}/v1/metrics",
            data=body,
            content_type=content_type,
            headers={"Authorization": f"Bearer {token}", **headers},
        )

    send.connection = connection  # type: ignore[attr-defined]
    return send


def test_a_json_export_is_read_like_protobuf(sender):
    body = json.dumps(request_body([token_point("input", 900), token_point("output", 90)]))
    answer = sender(body.encode())
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {}  # partial_success unset: everything was accepted
    answer = sender(gzip.compress(body.encode()), **{"Content-Encoding": "gzip"})
    assert answer.status_code == 200
    assert ReceivedPoint.objects.count() == 2  # the same points sent again
    fold(connection=sender.connection)
    fact = UsageFact.objects.get()
    assert (fact.account.external_id, fact.input, fact.output) == ("erin@example.com", 900, 90)


def test_a_damaged_point_is_refused_alone_and_kept_for_review(sender):
    bad = token_point("input", 5)
    bad["asInt"] = "five"
    wrong_type = token_point("thinking", 7)
    body = request_body([token_point("input", 900), bad, wrong_type, token_point("output", 90)])
    answer = sender(json.dumps(body).encode())
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedDataPoints"] == "2"
    assert "kept for review" in answer.json()["partialSuccess"]["errorMessage"]
    assert ReceivedPoint.objects.count() == 2
    rows = {r.location: r for r in RejectedRow.objects.all()}
    assert len(rows) == 2
    assert any('"five"' in r.raw for r in rows.values())
    assert any("thinking" in r.reason for r in rows.values())


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf", "not a protobuf"),
        (b"{not json", "application/json", "not JSON"),
        (b"[1, 2]", "application/json", "not a JSON object"),
        (b"hello", "text/plain", "is not OTLP"),
    ],
    ids=["truncated protobuf", "broken JSON", "JSON list", "wrong content type"],
)
def test_an_unreadable_body_is_a_400_and_kept(sender, body, content_type, says):
    answer = sender(body, content_type)
    assert answer.status_code == 400
    assert says.encode() in answer.content
    kept = RejectedRow.objects.get()
    assert kept.location == "request" and "Refused (400)" in kept.reason


def test_a_body_over_the_limit_is_a_413(sender, settings):
    settings.OTLP_MAX_BODY_BYTES = 1000
    assert sender(b"{" + b" " * 2000 + b"}").status_code == 413
    bomb = gzip.compress(b"{" + b" " * 100_000 + b"}")
    assert len(bomb) < 1000
    assert sender(bomb, **{"Content-Encoding": "gzip"}).status_code == 413


def test_it_answers_only_post(client, sender):
    assert client.get(f"/otlp/{sender.connection.name}/v1/metrics").status_code == 405


def _damage(data: object, path: list[object], value: object) -> object:
    """data with the value at path (indexes and keys, as far as they reach) replaced."""
    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and node:
            node = node[step % len(node)]
        else:
            return data
    last = path[-1] if path else None
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and node:
        node[last % len(node)] = value
    return data


KEYS = st.sampled_from(
    [
        "resourceMetrics",
        "scopeMetrics",
        "metrics",
        "sum",
        "dataPoints",
        "asInt",
        "asDouble",
        "timeUnixNano",
        "startTimeUnixNano",
        "attributes",
        "value",
        "stringValue",
        "name",
        "aggregationTemporality",
        "isMonotonic",
        "key",
        "resource",
        "scope",
    ]
)
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.lists(KEYS | st.integers(0, 3), min_size=1, max_size=9), value=JUNK)
def test_damaged_json_is_never_a_500_and_good_points_stay(sender, path, value):
    good = request_body([token_point("input", 900), token_point("output", 90)])
    damaged = _damage(good, path, value)
    answer = sender(json.dumps(damaged, allow_nan=True).encode())
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 200:
        refused = int(answer.json().get("partialSuccess", {}).get("rejectedDataPoints", 0))
        assert RejectedRow.objects.count() >= min(refused, 1)
    else:
        assert RejectedRow.objects.filter(location="request").exists()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cut=st.integers(0, 400),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
)
def test_damaged_protobuf_is_never_a_500(sender, cut, flips):
    from ingest.providers.demo import telemetry_export

    body = bytearray(telemetry_export(dt.date(2026, 11, 3))[: 400 + cut])
    for at, byte in flips:
        body[at % len(body)] = byte
    answer = sender(bytes(body), "application/x-protobuf")
    assert answer.status_code in (200, 400), answer.content
