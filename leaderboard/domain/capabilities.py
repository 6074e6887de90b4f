"""What each kind of source can report, by the provider that namespaces it (Source.provider).

Usage a source cannot report is shown as n/a, never as 0: a Claude Code row with no request
count did not make zero requests. Pages ask `reports_requests` rather than trusting a stored
0, so the facts need no flag of their own. Keys are the providers' names in ingest (this app
imports no sibling); a file source is "file:<name>".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leaderboard.models import Source

# How a per-person cost is known.
BILLED = "billed by the provider"
PROVIDER_ESTIMATE = "estimated by the provider"
LIST_PRICE = "estimated from list prices (the provider reports no per-person cost)"


@dataclass(frozen=True)
class Capability:
    """What one provider's usage report carries."""

    requests: bool
    cost: str
    cannot_report: tuple[str, ...]  # shown as "n/a" on the data status page
    reference: str = ""
    # "": every use the source reports comes with its token counts; else which use has none
    # (its facts hold 0 tokens, which token lenses must not read as "used nothing").
    tokens_missing: str = ""


CAPABILITIES = {
    # https://github.com/openai/openai-openapi openapi.yaml: UsageCompletionsResult
    # "num_model_requests ... The count of requests made to the model."; the costs endpoint
    # groups by project and line item, never by user.
    "openai": Capability(
        requests=True,
        cost=LIST_PRICE,
        cannot_report=("per-person cost",),
        reference="https://platform.openai.com/docs/api-reference/usage",
    ),
    # https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages: results
    # carry token counts only (no request count); cost_report has no per-user grouping.
    "anthropic": Capability(
        requests=False,
        cost=LIST_PRICE,
        cannot_report=("request counts", "per-person cost"),
        reference="https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages",
    ),
    # https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code:
    # core_metrics has num_sessions (sessions are not requests); model_breakdown carries
    # "estimated_cost".
    "claude_code": Capability(
        requests=False,
        cost=PROVIDER_ESTIMATE,
        cannot_report=("request counts",),
        reference="https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code",
    ),
    # https://cursor.com/docs/account/teams/admin-api: filtered-usage-events returns one
    # event per request, with "chargedCents".
    "cursor": Capability(
        requests=True,
        cost=BILLED,
        cannot_report=(),
        reference="https://cursor.com/docs/account/teams/admin-api",
    ),
    # BerriAI/litellm common_daily_activity.py SpendMetrics: "spend", "api_requests",
    # "successful_requests", "failed_requests"; spend is what the proxy charged each key
    # (its cost map, or the operator's custom prices). Per-user daily tables have no
    # product split (Claude Code, Cursor...): usage through the proxy is what it reports.
    "litellm": Capability(
        requests=True,
        cost=BILLED,
        cannot_report=(),
        reference="https://docs.litellm.ai/docs/proxy/cost_tracking",
    ),
    # https://docs.github.com/en/copilot/reference/copilot-usage-metrics/copilot-usage-metrics:
    # a user's day counts "user_initiated_interaction_count" ("Number of explicit prompts sent
    # to Copilot"); tokens only under totals_by_cli.token_usage (the Copilot CLI). The premium
    # request bill (billing/premium_request/usage?user=) has each line's "netAmount".
    "copilot": Capability(
        requests=True,
        cost="billed by the provider (premium requests; seat licences are not per use)",
        cannot_report=(
            "token counts of IDE and chat use (only the Copilot CLI's are reported)",
            "a split by model",
        ),
        reference="https://docs.github.com/en/rest/copilot/copilot-usage-metrics",
        tokens_missing="its IDE and chat use (only the Copilot CLI reports tokens)",
    ),
    "demo": Capability(requests=True, cost=LIST_PRICE, cannot_report=()),
    # https://code.claude.com/docs/en/monitoring-usage (issue 22's words): claude_code.token
    # .usage by `type` and `model`, and claude_code.cost.usage (USD, computed by Claude Code:
    # an estimate, like the admin report's estimated_cost); no request counter among the
    # metrics we read (UNCONFIRMED: API requests are, we believe, log events, not metrics).
    "otlp": Capability(
        requests=False,
        cost=PROVIDER_ESTIMATE,
        cannot_report=("request counts", "usage of people who have not set up telemetry"),
        reference="https://code.claude.com/docs/en/monitoring-usage",
    ),
}
# Tokenboard's own file schema has a requests and a cost_usd column (ingest.files): a file
# reports what its rows give.
FILE = Capability(
    requests=True,
    cost="as the file gives it (cost_usd), else estimated from list prices",
    cannot_report=(),
)
# A provider this table does not know yet (added in ingest, not here): nothing it sends is
# taken on trust, so its requests show n/a until someone describes it.
UNKNOWN = Capability(
    requests=False, cost=LIST_PRICE, cannot_report=("request counts (provider not described)",)
)


def capability_of(provider: str) -> Capability:
    """What a source of this provider (Source.provider) can report."""
    if provider.startswith("file:"):
        return FILE
    return CAPABILITIES.get(provider, UNKNOWN)


def reports_requests(source: Source) -> bool:
    return capability_of(source.provider).requests


def without_requests(sources: Iterable[Source] | None = None) -> list[Source]:
    """The sources (of those given, else all) that cannot report request counts."""
    chosen = Source.objects.all() if sources is None else sources
    return [s for s in chosen if not reports_requests(s)]


def with_tokens_missing(sources: Iterable[Source]) -> list[tuple[Source, str]]:
    """The sources (of those given) some of whose usage has no token counts, and which."""
    return [
        (s, c.tokens_missing) for s in sources if (c := capability_of(s.provider)).tokens_missing
    ]
