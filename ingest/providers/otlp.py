"""OpenTelemetry metrics received over OTLP/HTTP: decoding and reading data points (no I/O).

What is received. Claude Code (and CLIs that follow its names) exports, when
CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTEL_METRICS_EXPORTER=otlp, two counters that carry usage
(https://code.claude.com/docs/en/monitoring-usage, "Metrics"; the issue's words: "export
`claude_code.token.usage` with `type` (input, output, cacheRead, cacheCreation), `model` and
`user.email`, plus cost metrics"):
- `claude_code.token.usage` (tokens), attribute `type`: "input", "output", "cacheRead",
  "cacheCreation", and `model`;
- `claude_code.cost.usage` (USD), attribute `model`. Claude Code computes it from its own
  price list: like the admin report's `estimated_cost` (providers.claude_code) it is the
  provider's estimate, recorded as the usage's cost.
Both carry the standard attributes `user.email`, `user.account_uuid`, `organization.id`,
`session.id`, ... Other metrics (sessions, lines of code, active time) are accepted and
ignored. UNCONFIRMED: the stored corpus holds the English page only in part; the metric and
attribute names above are the issue's and the localized pages' (code.claude.com/docs/ja/
monitoring-usage.md), and Claude Code's default temporality is said to be delta by third
parties ("Claude Code defaults to delta temporality"), not by a page read here: both
temporalities are handled, so nothing depends on it.

The protocol (opentelemetry-proto docs/specification.md, "OTLP/HTTP",
https://opentelemetry.io/docs/specs/otlp/):
- "The default URL path for requests that carry metric data is `/v1/metrics` and the
  request body is a Protobuf-encoded `ExportMetricsServiceRequest` message."
- "The client and the server MUST set "Content-Type: application/x-protobuf" ..." or
  "application/json" for "JSON Protobuf encoded payload"; in JSON "Values of enum fields
  MUST be encoded as integer values", "OTLP/JSON receivers MUST ignore message fields with
  unknown names", and "64-bit integer numbers in JSON-encoded payloads are encoded as
  decimal strings, and either numbers or strings are accepted when decoding."
- "The client MAY gzip the content and in that case MUST include "Content-Encoding: gzip""
  and "The server MUST limit the size of the request body when parsing it, including after
  decompression ... If the limit is exceeded, the server MUST respond with `HTTP 413`".
- Partial success: "the server MUST respond with `HTTP 200 OK`" and "MUST set the
  respective ... `rejected_data_points` ... field"; bad data: "the server MUST respond with
  `HTTP 400 Bad Request`" and "The client MUST NOT retry"; retryable codes are 429, 502,
  503, 504 (with "Retry-After" for 429/503).

The data model (opentelemetry-proto metrics.proto, Sum and NumberDataPoint): a Sum has
`aggregation_temporality` (1 DELTA, 2 CUMULATIVE) and `is_monotonic`; a point has
`start_time_unix_nano`, `time_unix_nano`, `as_int` or `as_double`, and `flags` (1: no
recorded value). For cumulative points "the value is the total since start_time"; a
counter reset shows as a new start time ("a cumulative series' reset = new start time").
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)

from ingest.records import Rejection, raw_text
from leaderboard.domain.records import MAX_COUNT

TOKEN_METRIC = "claude_code.token.usage"  # noqa: S105  # a metric name, not a secret
COST_METRIC = "claude_code.cost.usage"
USAGE_METRICS = (TOKEN_METRIC, COST_METRIC)
# `type` of a token point -> the fact's count it adds to
TOKEN_TYPES = {
    "input": "input",
    "output": "output",
    "cacheRead": "cache_read",
    "cacheCreation": "cache_write",
}
DELTA = "delta"
CUMULATIVE = "cumulative"
TEMPORALITIES = {
    AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA: DELTA,
    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE: CUMULATIVE,
}
PROTOBUF = "application/x-protobuf"
JSON_TYPE = "application/json"
# "It is RECOMMENDED to use 64 MiB as the default limit" (after decompression); a CLI's
# export is a few kilobytes, so Tokenboard allows far less (settings.OTLP_MAX_BODY_BYTES).
FLAG_NO_RECORDED_VALUE = 1
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)  # a sender's clock may run a little ahead


class BadPayload(ValueError):
    """The body cannot be read as an ExportMetricsServiceRequest (HTTP 400)."""


class TooLarge(ValueError):
    """The body is larger than the limit, before or after decompression (HTTP 413)."""


@dataclass(frozen=True)
class Point:
    """One usage data point, as stored (ingest.models.ReceivedPoint)."""

    series: str  # a hash of what identifies the time series (resource, metric, attributes)
    metric: str
    temporality: str
    kind: str  # "input", "output", "cache_read", "cache_write"; "cost" for the cost metric
    email: str
    account: str  # user.account_uuid, when the point names no e-mail
    model: str
    start_ns: int
    time_ns: int
    value: Decimal

    @property
    def day(self) -> dt.date:
        return moment(self.time_ns).date()


def moment(ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC)


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The body as sent, inflated if the exporter compressed it, never past `limit` bytes."""
    if len(body) > limit:
        raise TooLarge(f"the body has more than {limit} bytes")
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise BadPayload(f"Content-Encoding {encoding[:40]!r} is not supported (use gzip)")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding == "gzip" else 0))
    try:
        data = inflater.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise BadPayload(f"the body is not valid {encoding}: {exc}") from exc
    if len(data) > limit:
        raise TooLarge(f"the body inflates to more than {limit} bytes")
    return data


def media_type(content_type: str) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in (PROTOBUF, JSON_TYPE):
        raise BadPayload(f"Content-Type {kind[:60]!r} is not OTLP: send {PROTOBUF} or {JSON_TYPE}")
    return kind


def decode(data: bytes, kind: str) -> tuple[ExportMetricsServiceRequest, list[Rejection]]:
    """The request, and the parts of a JSON request that could not be read (kept for review;
    the rest of the request stands)."""
    if kind == PROTOBUF:
        request = ExportMetricsServiceRequest()
        try:
            request.ParseFromString(data)
        except (DecodeError, ValueError, RecursionError) as exc:
            raise BadPayload(
                f"the body is not a protobuf ExportMetricsServiceRequest: {exc}"
            ) from exc
        return request, []
    return _from_json(data)


def _objects(value: object, where: str) -> list[dict[str, object]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadPayload(f"{where} is not a list of objects")
    return value


def _parse(obj: dict[str, object], message: Message, where: str) -> None:
    try:
        json_format.ParseDict(obj, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadPayload(f"{where}: {exc}") from exc


def _point_count(metric: object) -> int:
    if not isinstance(metric, dict):
        return 1
    for data in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
        body = metric.get(data)
        if isinstance(body, dict) and isinstance(body.get("dataPoints"), list):
            return max(1, len(body["dataPoints"]))
    return 1


def _from_json(data: bytes) -> tuple[ExportMetricsServiceRequest, list[Rejection]]:
    """A JSON request read part by part, so that one damaged data point (or metric) is
    rejected alone: the proto3 JSON mapping would refuse the whole request for it."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadPayload("the body is not a JSON object (an ExportMetricsServiceRequest)")
    request = ExportMetricsServiceRequest()
    rejected: list[Rejection] = []
    for r, rm in enumerate(_objects(body.get("resourceMetrics"), "resourceMetrics"), start=1):
        out = ResourceMetrics()
        where = f"resourceMetrics[{r}]"
        try:
            _parse({k: v for k, v in rm.items() if k != "scopeMetrics"}, out, where)
            scopes = _objects(rm.get("scopeMetrics"), f"{where}.scopeMetrics")
        except BadPayload as exc:
            rejected.append(Rejection(where, str(exc), raw_text(rm)))
            continue
        for s, sm in enumerate(scopes, start=1):
            scope = ScopeMetrics()
            swhere = f"{where}.scopeMetrics[{s}]"
            try:
                _parse({k: v for k, v in sm.items() if k != "metrics"}, scope, swhere)
                metrics = _objects(sm.get("metrics"), f"{swhere}.metrics")
            except BadPayload as exc:
                rejected.append(Rejection(swhere, str(exc), raw_text(sm)))
                continue
            for m, metric in enumerate(metrics, start=1):
                mwhere = f"{swhere}.metrics[{m}]"
                try:
                    scope.metrics.append(_metric_from_json(metric, mwhere, rejected))
                except BadPayload as exc:
                    rejected.append(Rejection(mwhere, str(exc), raw_text(metric)))
            out.scope_metrics.append(scope)
        request.resource_metrics.append(out)
    return request, rejected


def _metric_from_json(metric: dict[str, object], where: str, rejected: list[Rejection]) -> Metric:
    """A metric whose Sum data points are read one by one (a bad one is rejected alone)."""
    out = Metric()
    points = None
    sum_ = metric.get("sum")
    if isinstance(sum_, dict) and "dataPoints" in sum_:
        points = sum_["dataPoints"]
        metric = {**metric, "sum": {k: v for k, v in sum_.items() if k != "dataPoints"}}
    _parse(metric, out, where)
    for p, point in enumerate(_objects(points, f"{where}.sum.dataPoints"), start=1):
        parsed = NumberDataPoint()
        try:
            _parse(point, parsed, f"{where}.sum.dataPoints[{p}]")
        except BadPayload as exc:
            rejected.append(Rejection(f"{where}.sum.dataPoints[{p}]", str(exc), raw_text(point)))
            continue
        out.sum.data_points.append(parsed)
    return out


def _value(v: AnyValue) -> object:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind in ("array_value", "kvlist_value", "bytes_value"):
        return json_format.MessageToDict(v)
    return getattr(v, kind)


def attributes(pairs: Iterable[KeyValue]) -> dict[str, object]:
    return {kv.key: _value(kv.value) for kv in pairs}


def _text(attrs: dict[str, object], key: str) -> str:
    value = attrs.get(key)
    return value.strip() if isinstance(value, str) else ""


def _series(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def rejected_point(where: str, reason: str, point: NumberDataPoint, metric: Metric) -> Rejection:
    raw = {"metric": metric.name, "dataPoint": json_format.MessageToDict(point)}
    return Rejection(where, reason, raw_text(raw))


def read_points(
    request: ExportMetricsServiceRequest, *, now: dt.datetime
) -> tuple[list[Point], list[Rejection], int]:
    """The usage points of a request, the points refused (with why), and how many points of
    other metrics were ignored."""
    points: list[Point] = []
    rejected: list[Rejection] = []
    ignored = 0
    latest = now + FUTURE_SLACK
    for r, rm in enumerate(request.resource_metrics, start=1):
        resource = attributes(rm.resource.attributes)
        for s, sm in enumerate(rm.scope_metrics, start=1):
            for m, metric in enumerate(sm.metrics, start=1):
                where = f"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}] ({metric.name[:80]})"
                data = metric.WhichOneof("data")
                if metric.name not in USAGE_METRICS:
                    ignored += 1
                    continue
                if data != "sum":
                    rejected.append(
                        Rejection(
                            where,
                            f"{metric.name} must be a Sum (a counter), not {data or 'no data'}",
                            raw_text(json_format.MessageToDict(metric)),
                        )
                    )
                    continue
                temporality = TEMPORALITIES.get(metric.sum.aggregation_temporality)
                for p, point in enumerate(metric.sum.data_points, start=1):
                    pwhere = f"{where}, dataPoint {p}"
                    reason = ""
                    if temporality is None:
                        reason = "aggregation_temporality is neither DELTA (1) nor CUMULATIVE (2)"
                    elif not metric.sum.is_monotonic:
                        reason = "a usage counter must be monotonic (is_monotonic is false)"
                    if reason:
                        rejected.append(rejected_point(pwhere, reason, point, metric))
                        continue
                    assert temporality is not None
                    read = _read_point(
                        point, metric, temporality, resource, scope=sm.scope.name, latest=latest
                    )
                    if isinstance(read, str):
                        rejected.append(rejected_point(pwhere, read, point, metric))
                    elif read is not None:
                        points.append(read)
    return points, rejected, ignored


def _read_point(
    point: NumberDataPoint,
    metric: Metric,
    temporality: str,
    resource: dict[str, object],
    *,
    scope: str,
    latest: dt.datetime,
) -> Point | str | None:
    """The point, or why it is refused; None for a point with no recorded value."""
    if point.flags & FLAG_NO_RECORDED_VALUE:
        return None
    kind_of_value = point.WhichOneof("value")
    if kind_of_value is None:
        return "the data point has no value (as_int or as_double)"
    if kind_of_value == "as_double":
        if not math.isfinite(point.as_double):
            return f"the value {point.as_double} is not a finite number"
        value = Decimal(repr(point.as_double))
    else:
        value = Decimal(point.as_int)
    if value < 0:
        return f"a counter's value cannot be negative ({value})"
    if value > MAX_COUNT:
        return f"the value {value} is above the limit of {MAX_COUNT:,}"
    if point.time_unix_nano == 0:
        return "the data point has no time_unix_nano"
    when = moment(point.time_unix_nano)
    if not EARLIEST <= when <= latest:
        return f"time_unix_nano {point.time_unix_nano} ({when:%Y-%m-%d %H:%M} UTC) is implausible"
    if point.start_time_unix_nano > point.time_unix_nano:
        return "start_time_unix_nano is after time_unix_nano"
    attrs = {**resource, **attributes(point.attributes)}
    if metric.name == TOKEN_METRIC:
        token_type = _text(attrs, "type")
        if token_type not in TOKEN_TYPES:
            return f"type {token_type[:40]!r} is not one of {', '.join(TOKEN_TYPES)}"
        if value != value.to_integral_value():
            return f"a token count must be whole ({value})"
        kind = TOKEN_TYPES[token_type]
    else:
        kind = "cost"
    return Point(
        series=_series(
            metric.name,
            temporality,
            scope,
            sorted((k, str(v)) for k, v in resource.items()),
            sorted((k, str(v)) for k, v in attributes(point.attributes).items()),
        ),
        metric=metric.name,
        temporality=temporality,
        kind=kind,
        email=_text(attrs, "user.email").lower()[:254],
        account=_text(attrs, "user.account_uuid")[:200],
        model=_text(attrs, "model")[:200] or "unknown",
        start_ns=point.start_time_unix_nano,
        time_ns=point.time_unix_nano,
        value=value,
    )


def response(*, rejected: int, message: str, kind: str) -> bytes:
    """An ExportMetricsServiceResponse: partial_success set only when something was
    refused ("The server MUST leave the `partial_success` field unset in case of a
    successful response")."""
    out = ExportMetricsServiceResponse()
    if rejected:
        out.partial_success.rejected_data_points = rejected
        out.partial_success.error_message = message
    if kind == JSON_TYPE:
        return json.dumps(json_format.MessageToDict(out)).encode()
    serialized: bytes = out.SerializeToString()
    return serialized


def status(*, message: str, kind: str) -> bytes:
    """The body of a 4xx/5xx answer: "a Protobuf-encoded Status message" (google.rpc.Status:
    field 2 is `message`; "the server MAY omit `Status.code`"), or its JSON form."""
    if kind == JSON_TYPE:
        return json.dumps({"message": message}).encode()
    text = message.encode()
    length = len(text)
    varint = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            break
    return b"\x12" + bytes(varint) + text
