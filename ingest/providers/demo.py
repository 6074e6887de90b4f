"""The demo provider: deterministic, heavy-tailed usage for a made-up company.

A demo connection's base URL names the vendor it imitates (demo://openai, demo://anthropic,
demo://cursor, demo://copilot). The same person, day and vendor always produce the same
numbers, so pulling again changes nothing. GitHub Copilot's days are written as the NDJSON
report files GitHub serves and read by the real adapter's parser (ingest.providers.copilot).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from ingest.records import Batch, Directory
from leaderboard.domain.records import UNATTRIBUTED, AccountRecord, UsageRecord

from . import copilot

TEAMS = ["Platform", "Payments", "Mobile", "Data", "Design Systems", "Support Tools"]
FIRST = [
    "Ada",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luca",
    "Maya",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
]
LAST = [
    "Alvarez",
    "Brennan",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gupta",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
]
MODELS = {
    "openai": ["gpt-5", "gpt-5-mini", "gpt-4.1", "o4-mini"],
    "anthropic": ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"],
    "cursor": ["claude-4.5-sonnet", "gpt-5", "auto"],
    "copilot": ["copilot", "copilot-cli"],  # what ingest.providers.copilot records
}
DEMO_BASE_URLS = {f"demo-{vendor}": f"demo://{vendor}" for vendor in MODELS}
# A LiteLLM proxy in front of several vendors: the real adapter reads generated answers.
LITELLM_MODELS = ["claude-sonnet-4-5", "gpt-5"]  # the team key's
DEMO_BASE_URLS["demo-litellm"] = "demo://litellm"
# Automation with an owner from the directory (by index): ranked apart, on the agents board.
AGENTS = {
    "openai": ("svc-nightly-evals", "Nightly evals", 1),
    "cursor": ("svc-bugbot", "Bugbot reviews", 4),
    "copilot": ("review-helper[bot]", "Review helper", 2),
}
PEOPLE_COUNT = 60
PAGE_DAYS = 7
# Planted gaming (issue 20 §2): demo person index -> (vendor, shape). Their other usage is
# like everyone's; on the days planted_on() picks, by date alone (so a pull tomorrow plants
# the same days):
# - spike: 300x their usual tokens, on one vendor, about one day a month;
# - low_output: 60M input-side tokens with 0.05% as much output, about one day in 17;
# - flat_loop: the same 12,345,678 tokens on one model every weekday of two weeks in twelve;
# - request_loop: the same 31,337 tokens per request (requests vary), two weeks in twelve;
# - cost_outlier: a reported cost 20x what the tokens are worth, about one day in 23.
PLANTED = {
    7: ("anthropic", "spike"),
    19: ("openai", "low_output"),
    23: ("anthropic", "flat_loop"),
    31: ("openai", "request_loop"),
    43: ("cursor", "cost_outlier"),
}


def planted_on(shape: str, day: dt.date) -> bool:
    """Whether a planted shape falls on this day."""
    n = day.toordinal()
    if shape == "spike":
        return n % 30 == 0
    if shape == "low_output":
        return n % 17 == 0
    if shape in ("flat_loop", "request_loop"):
        block = 0 if shape == "flat_loop" else 3
        return day.weekday() < 5 and (n // 14) % 6 == block
    return n % 23 == 0


@dataclass(frozen=True)
class DemoPerson:
    index: int
    name: str
    email: str
    team: str


def demo_people() -> list[DemoPerson]:
    """The demo company's directory: 60 people in 6 teams."""
    people = []
    for i in range(PEOPLE_COUNT):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        people.append(
            DemoPerson(
                index=i,
                name=f"{first} {last}",
                email=f"{first}.{last}{i}@demo.example.com".lower(),
                team=TEAMS[i % len(TEAMS)],
            )
        )
    return people


def uses(vendor: str, person: DemoPerson) -> bool:
    """Whether a demo person uses a vendor's tools: three in four do, planted people their
    planted vendor; Copilot is the IDE assistant of half of those who do not use Cursor (so
    the demo's breadth of tools, which badges are calibrated on, stays a company's)."""
    if vendor == "copilot":
        chance = random.Random(f"uses:copilot:{person.index}").random()
        return not uses("cursor", person) and chance < 0.5
    return (
        random.Random(f"uses:{vendor}:{person.index}").random() < 0.75
        or PLANTED.get(person.index, ("",))[0] == vendor
    )


def _weight(index: int) -> float:
    """A heavy tail: most people use a little, a few use enormously."""
    return min(random.Random(f"weight:{index}").paretovariate(1.1), 400.0)


class DemoAdapter:
    """Generates one vendor's usage for the demo directory."""

    def __init__(self, *, base_url: str, api_key: str = "") -> None:
        self.vendor = base_url.removeprefix("demo://")
        if self.vendor not in MODELS:
            raise ValueError(f"unknown demo vendor in {base_url!r}; use one of {list(MODELS)}")
        self.users = [p for p in demo_people() if uses(self.vendor, p)]

    def _account(self, person: DemoPerson) -> str:
        if self.vendor == "copilot":  # a GitHub login, as Copilot's reports name people
            return person.email.split("@")[0].replace(".", "-")
        return f"{self.vendor}-user-{person.index:03d}"

    def accounts(self) -> Directory:
        directory = Directory(
            [AccountRecord(self._account(p), email=p.email, name=p.name) for p in self.users]
        )
        if self.vendor == "anthropic":
            directory.accounts.append(
                AccountRecord("key-ci-pipeline", name="CI pipeline key", kind="api_key")
            )
        if self.vendor in AGENTS:
            external_id, name, owner = AGENTS[self.vendor]
            directory.accounts.append(
                AccountRecord(
                    external_id, name=name, kind="agent", owner_email=demo_people()[owner].email
                )
            )
        return directory

    def _day(self, day: dt.date) -> Iterator[UsageRecord]:
        if self.vendor == "copilot":
            yield from self._copilot_day(day)
            return
        weekend = day.weekday() >= 5
        for person in self.users:
            rng = random.Random(f"{self.vendor}:{day.isoformat()}:{person.index}")
            vendor, shape = PLANTED.get(person.index, ("", ""))
            if vendor == self.vendor and planted_on(shape, day):
                yield self._planted(rng, day, self._account(person), _weight(person.index), shape)
                continue
            if rng.random() > (0.25 if weekend else 0.85):
                continue
            yield self._usage(rng, day, self._account(person), _weight(person.index))
        extra = random.Random(f"{self.vendor}:{day.isoformat()}:extra")
        if self.vendor == "openai":
            yield self._usage(extra, day, UNATTRIBUTED, 3.0)
        if self.vendor == "anthropic" and not weekend:
            yield self._usage(extra, day, "key-ci-pipeline", 5.0)
        if self.vendor in AGENTS:
            yield self._usage(extra, day, AGENTS[self.vendor][0], 20.0)

    def _usage(self, rng: random.Random, day: dt.date, account: str, weight: float) -> UsageRecord:
        tokens = int(1_500_000 * weight * rng.lognormvariate(0, 0.7))
        cache_share = random.Random(f"cache:{account}").uniform(0.05, 0.8)
        output = int(tokens * rng.uniform(0.02, 0.08))
        cache_read = int((tokens - output) * cache_share)
        cache_write = int((tokens - output - cache_read) * 0.1)
        plain = tokens - output - cache_read - cache_write
        models = MODELS[self.vendor]
        cost = None
        if self.vendor == "cursor":  # Cursor reports what it charged; the others are estimated
            cost = (
                Decimal(plain + cache_write) * Decimal("0.000003")
                + Decimal(cache_read) * Decimal("0.0000003")
                + Decimal(output) * Decimal("0.000015")
            ).quantize(Decimal("0.01"))
        return UsageRecord(
            day=day,
            account=account,
            model=models[int(rng.random() ** 2 * len(models))],
            input=plain,
            cache_read=cache_read,
            cache_write=cache_write,
            output=output,
            # the last draw: every count above stays what it was before requests varied
            requests=max(1, tokens // rng.randint(15_000, 90_000)),
            cost=cost,
        )

    def _planted(
        self, rng: random.Random, day: dt.date, account: str, weight: float, shape: str
    ) -> UsageRecord:
        usual = self._usage(rng, day, account, weight)
        tokens = usual.input + usual.cache_read + usual.cache_write + usual.output
        if shape == "spike":
            return replace(
                usual,
                input=usual.input * 300,
                cache_read=usual.cache_read * 300,
                cache_write=usual.cache_write * 300,
                output=usual.output * 300,
                requests=usual.requests * 300,
            )
        if shape == "low_output":
            return replace(
                usual, input=20_000_000, cache_read=40_000_000, cache_write=0, output=30_000
            )
        if shape == "flat_loop":
            return replace(
                usual,
                model=MODELS[self.vendor][0],
                input=2_345_678,
                cache_read=9_000_000,
                cache_write=500_000,
                output=500_000,
                requests=250,
            )
        if shape == "request_loop":
            requests = rng.randint(100, 400)
            return replace(
                usual,
                model=MODELS[self.vendor][0],
                input=requests * 20_000,
                cache_read=requests * 10_000,
                cache_write=0,
                output=requests * 1_337,
                requests=requests,
            )
        # cost_outlier: a vendor that reports its cost (Cursor) charging 20 times the usual
        worth = usual.cost if usual.cost is not None else Decimal(tokens) * Decimal("0.000003")
        return replace(usual, cost=(worth * 20).quantize(Decimal("0.01")))

    def _copilot_day(self, day: dt.date) -> Iterator[UsageRecord]:
        """A day's users report as GitHub writes it (one NDJSON line per user), read by the
        real parser, each person-day priced with a premium request bill."""
        lines, bills = [], {}
        logins = [(self._account(p), p.index) for p in self.users] + [(AGENTS["copilot"][0], -1)]
        for login, index in logins:
            rng = random.Random(f"copilot:{day.isoformat()}:{login}")
            if rng.random() > (0.25 if day.weekday() >= 5 else 0.8):
                continue
            weight = _weight(index) if index >= 0 else 20.0
            row: dict[str, object] = {
                "day": day.isoformat(),
                "user_login": login,
                "user_id": 5000 + index,
                "user_initiated_interaction_count": int(8 * weight**0.5 * rng.uniform(0.5, 1.5)),
                "code_generation_activity_count": int(20 * rng.uniform(0.5, 1.5)),
                "totals_by_model_feature": [],
            }
            if rng.random() < 0.3:  # Copilot CLI use: the only use with token counts
                requests = rng.randint(2, 40)
                row["totals_by_cli"] = {
                    "request_count": requests,
                    "token_usage": {
                        "prompt_tokens_sum": requests * rng.randint(2_000, 9_000),
                        "output_tokens_sum": requests * rng.randint(300, 1_500),
                    },
                }
            lines.append(json.dumps(row))
            bills[login] = (Decimal(rng.randint(0, 12)) * Decimal("0.04")).quantize(Decimal("0.01"))
        records, _ = copilot.read_report("\n".join(lines).encode(), f"demo {day}", day)
        for r in records:
            yield replace(r, cost=bills[r.account] if r.model == "copilot" else Decimal(0))

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        day = start
        while day <= end:
            last = min(end, day + dt.timedelta(days=PAGE_DAYS - 1))
            batch = Batch()
            while day <= last:
                batch.records.extend(self._day(day))
                day += dt.timedelta(days=1)
            yield batch

    def check(self) -> str:
        return f"Demo data for {self.vendor}: {len(self.users)} people."

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Row:
    """One row of a LiteLLM proxy's daily spend table (user, day, model)."""

    date: str
    user_id: str  # "": a key with no user
    model: str
    numbers: dict[str, int | float]


class DemoProxy:
    """A LiteLLM proxy's answers for the demo directory, in the shapes the real adapter reads
    (ingest.providers.litellm): /user/list pages, and /user/daily/activity pages of daily
    spend rows, newest day first, grouped by date with a model breakdown. Prompt tokens
    include the cache, as LiteLLM reports them; a team key with no user is in the global
    view only."""

    def __init__(self) -> None:
        # The people who use at most one of the other vendors, each through the proxy with
        # that vendor's favourite model: the badges' calibration holds (no new model for
        # anyone, and no third source).
        self.models: dict[str, str] = {}
        for p in demo_people():
            vendors = [v for v in MODELS if uses(v, p)]
            if len(vendors) <= 1:
                self.models[f"litellm-{p.index:03d}"] = (
                    MODELS[vendors[0]][0] if vendors else "gpt-5"
                )
        self.people = [p for p in demo_people() if f"litellm-{p.index:03d}" in self.models]
        self.window: tuple[str, str] = ("", "")
        self.rows: list[Row] = []

    def _rows(self, start: str, end: str) -> list[Row]:
        """The daily spend rows of [start, end], newest first (the same every time)."""
        if self.window == (start, end):
            return self.rows
        self.window, self.rows = (start, end), []
        day = dt.date.fromisoformat(start)
        while day <= dt.date.fromisoformat(end):
            owners = [(f"litellm-{p.index:03d}", _weight(p.index)) for p in self.people]
            for user_id, weight in [*owners, ("", 8.0)]:  # "": the team key's
                rng = random.Random(f"litellm:{day.isoformat()}:{user_id}")
                if rng.random() > (0.25 if day.weekday() >= 5 else 0.8):
                    continue
                for model in [self.models[user_id]] if user_id else LITELLM_MODELS:
                    tokens = int(800_000 * weight * rng.lognormvariate(0, 0.7))
                    output = int(tokens * rng.uniform(0.02, 0.08))
                    read = int((tokens - output) * rng.uniform(0.1, 0.7))
                    write = int((tokens - output - read) * 0.1) if "claude" in model else 0
                    numbers: dict[str, int | float] = {
                        "prompt_tokens": tokens - output,
                        "completion_tokens": output,
                        "cache_read_input_tokens": read,
                        "cache_creation_input_tokens": write,
                        "api_requests": max(1, tokens // rng.randint(15_000, 90_000)),
                        "spend": round((tokens - output - read) * 3e-6 + output * 15e-6, 6),
                    }
                    self.rows.append(Row(day.isoformat(), user_id, model, numbers))
            day += dt.timedelta(days=1)
        self.rows.sort(key=lambda r: r.date, reverse=True)
        return self.rows

    def get(self, path: str, **params: object) -> object:
        page, size = int(str(params.get("page", 1))), int(str(params.get("page_size", 50)))
        if path == "/user/list":
            users = [
                {"user_id": f"litellm-{p.index:03d}", "user_email": p.email, "user_alias": p.name}
                for p in self.people
            ]
            return {
                "users": users[(page - 1) * size : page * size],
                "total": len(users),
                "page": page,
                "page_size": size,
                "total_pages": -(-len(users) // size),
            }
        user = params.get("user_id")
        rows = self._rows(str(params["start_date"]), str(params["end_date"]))
        chosen = [r for r in rows if user is None or r.user_id == user]
        totals: dict[str, dict[str, int | float]] = {}
        models: dict[str, dict[str, dict[str, int | float]]] = {}
        for r in chosen[(page - 1) * size : page * size]:
            day = totals.setdefault(r.date, {})
            model = models.setdefault(r.date, {}).setdefault(r.model, {})
            for metrics in (day, model):
                for name, value in r.numbers.items():
                    metrics[name] = metrics.get(name, 0) + value
        return {
            "results": [
                {
                    "date": date,
                    "metrics": day,
                    "breakdown": {"models": {m: {"metrics": v} for m, v in models[date].items()}},
                }
                for date, day in totals.items()
            ],
            "metadata": {
                "page": page,
                "total_pages": max(1, -(-len(chosen) // size)),
                "has_more": page * size < len(chosen),
            },
        }

    def close(self) -> None:
        pass


class LiteLLMDemoAdapter:
    """The real LiteLLM adapter reading a DemoProxy (demo://litellm)."""

    def __init__(self) -> None:
        from .litellm import LiteLLMAdapter  # the demo imitates it; it does not need the demo

        self.adapter = LiteLLMAdapter(base_url="https://litellm.demo.invalid", api_key="demo")
        self.adapter.client.close()
        self.adapter.client = DemoProxy()  # type: ignore[assignment]

    def accounts(self) -> Directory:
        return self.adapter.accounts()

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        return self.adapter.usage(start, end)

    def check(self) -> str:
        return f"Demo data for litellm: {self.adapter.check()}"

    def close(self) -> None:
        self.adapter.close()


def demo_adapter(*, base_url: str, api_key: str = "") -> DemoAdapter | LiteLLMDemoAdapter:
    """The demo adapter for a demo connection's base URL."""
    if base_url == DEMO_BASE_URLS["demo-litellm"]:
        return LiteLLMDemoAdapter()
    return DemoAdapter(base_url=base_url, api_key=api_key)


# The demo's OpenTelemetry receiver: these people (by index) also run Claude Code with
# telemetry on, each day exporting its token and cost counters (ingest.providers.otlp).
def telemetry_people() -> list[DemoPerson]:
    """Eight of the people who use Anthropic (every third from the third): the telemetry
    repeats their Claude models, so the demo's breadth of models, which badges are
    calibrated on, stays a company's."""
    return [p for p in demo_people()[2::3] if uses("anthropic", p)][:8]


TELEMETRY_RECEIVER = "demo-claude-code-otel"
TELEMETRY_MODELS = {
    "claude-sonnet-4-5": Decimal("0.000003"),
    "claude-opus-4-1": Decimal("0.000015"),
}


def telemetry_export(day: dt.date) -> bytes:
    """One day's Claude Code telemetry of the demo's users, as an exporter sends it: an
    ExportMetricsServiceRequest (protobuf) of delta sums, the same for the same day."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

    rng = random.Random(f"telemetry-{day.isoformat()}")
    end = dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC)
    start_ns = int((end - dt.timedelta(hours=9)).timestamp()) * 10**9
    time_ns = int(end.timestamp()) * 10**9
    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    service = resource.resource.attributes.add()
    service.key, service.value.string_value = "service.name", "claude-code"
    scope = resource.scope_metrics.add()
    scope.scope.name = "com.anthropic.claude_code"
    tokens, cost = scope.metrics.add(), scope.metrics.add()
    tokens.name, tokens.unit, cost.name, cost.unit = (
        "claude_code.token.usage",
        "tokens",
        "claude_code.cost.usage",
        "USD",
    )
    for metric in (tokens, cost):
        metric.sum.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
        metric.sum.is_monotonic = True
    for person in telemetry_people():
        if day.weekday() >= 5 or rng.random() < 0.15:
            continue  # weekends and days off
        for model, price in TELEMETRY_MODELS.items():
            counts = {
                "input": int(rng.lognormvariate(10, 0.6)),
                "output": int(rng.lognormvariate(11, 0.6)),
                "cacheRead": int(rng.lognormvariate(14, 0.5)),
                "cacheCreation": int(rng.lognormvariate(11.5, 0.5)),
            }
            labels = {"user.email": person.email, "model": model, "session.id": f"demo-{day}"}
            for kind, n in counts.items():
                point = tokens.sum.data_points.add()
                point.start_time_unix_nano, point.time_unix_nano, point.as_int = (
                    start_ns,
                    time_ns,
                    n,
                )
                for key, value in {**labels, "type": kind}.items():
                    attribute = point.attributes.add()
                    attribute.key, attribute.value.string_value = key, value
            point = cost.sum.data_points.add()
            point.start_time_unix_nano, point.time_unix_nano = start_ns, time_ns
            point.as_double = float(sum(counts.values()) * price)
            for key, value in labels.items():
                attribute = point.attributes.add()
                attribute.key, attribute.value.string_value = key, value
    data: bytes = request.SerializeToString()
    return data
