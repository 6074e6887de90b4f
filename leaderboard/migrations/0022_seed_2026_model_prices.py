"""Seed the 2026 models' list prices (USD per million tokens) from the providers' pages.

Each row names its page (source_url) and when it was read (source_date); `confirmed` is set
only where every rate of the row is on the provider's own page as quoted in the issue #17
references. No page gives the date a price began, so a model's first price applies from
2020-01-01 (from its first use); a later change is a new row from its date.

The prices seeded in 0002 stay as they are, from 2020-01-01; the models the pages also list
gain their 1-hour cache-write rate and tier multipliers, and their source.

Left out, for want of a confirmed figure: Claude Haiku 5.5 (its cache-read rate was not
captured, and its prompt-size tier starts at 100k tokens, which no usage report
distinguishes), flex prices (none published where read), Anthropic's older >200k
long-context premium, OpenAI's 12-hour cache writes (the usage API reports one
input_cache_write_tokens count, not its retention), and fast/ultrafast modes.
"""

import datetime
from decimal import Decimal

from django.db import migrations

FIRST = datetime.date(2020, 1, 1)

# https://platform.claude.com/docs/en/about-claude/pricing, a verbatim copy fetched 2026-08-17:
# "Base Input Tokens | 5m Cache Writes | 1h Cache Writes | Cache Hits & Refreshes | Output
# Tokens"; Batch: "a 50% discount on both input and output tokens"; "For Claude 4.6 and later
# models, specifying US-only inference through the `inference_geo` parameter incurs a 1.1x
# multiplier on all token pricing categories"; "Claude 4.6 and later models … include the
# full 1M token context window at standard pricing" (no long-context multiplier).
ANTHROPIC_PAGE = "https://platform.claude.com/docs/en/about-claude/pricing"
ANTHROPIC_READ = datetime.date(2026, 8, 17)
# Pages of the docs corpus read (stored, undated) when the references were written.
CORPUS_READ = datetime.date(2026, 12, 4)
MODEL_ID_NOTE = (
    "The API model id follows the pattern of earlier ids (claude-opus-4-5); the page names "
    "the model, not its id."
)
OLD_MODEL_NOTE = "No US-only inference premium: it applies to Claude 4.6 and later."

ANTHROPIC = {
    # model: (input, cache read, 5m write, 1h write, output, us-only multiplier)
    "claude-fable-5": ("10", "1", "12.50", "20", "50", "1.1"),
    "claude-mythos-5": ("10", "1", "12.50", "20", "50", "1.1"),
    "claude-opus-5": ("5", "0.50", "6.25", "10", "25", "1.1"),
    "claude-opus-4-8": ("5", "0.50", "6.25", "10", "25", "1.1"),
    "claude-opus-4-7": ("5", "0.50", "6.25", "10", "25", "1.1"),
    "claude-opus-4-6": ("5", "0.50", "6.25", "10", "25", "1.1"),
    "claude-sonnet-5": ("2", "0.20", "2.50", "4", "10", "1.1"),
    "claude-sonnet-4-6": ("3", "0.30", "3.75", "6", "15", "1.1"),
}
# Seeded in 0002 with the same rates; the page adds their 1-hour write rate.
ANTHROPIC_0002 = {
    "claude-opus-4-5": "10",
    "claude-opus-4-1": "30",
    "claude-opus-4": "30",
    "claude-sonnet-4-5": "6",
    "claude-sonnet-4": "6",
    "claude-haiku-4-5": "2",
    "claude-3-5-haiku": "1.60",
}
# Newer model pages (docs corpus, undated), with the 1.1x and 50% rules of the pricing page:
# not confirmed, as those rules are not on these pages.
ANTHROPIC_NEWER = {
    "claude-opus-5-5": (
        "https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview",
        ("4", "0.20", "5", "8", "20"),
        "The page states Batch 50%.",
    ),
    "claude-sonnet-5-5": (
        "https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview",
        ("2", "0.20", "2.50", "4", "10"),
        "Batch 50% is the pricing page's rule; this page's excerpt does not state it. A "
        "third-party changelog claims a cache-read cut to $0.10 from 2026-10-07: unconfirmed, "
        "not entered.",
    ),
    "claude-fable-5-1": (
        ANTHROPIC_PAGE,
        ("10", "0.25", "12.50", "20", "50"),
        "The cache-hit rate carries a footnote whose text was not captured.",
    ),
    "claude-mythos-5-1": (
        ANTHROPIC_PAGE,
        ("10", "0.25", "12.50", "20", "50"),
        "The cache-hit rate carries a footnote whose text was not captured.",
    ),
}

# OpenAI: "Cache writes have no additional fee on models before the GPT-5.6 family. For
# GPT-5.6 models and later model families, cache writes cost 1.25x the uncached input token
# rate." (https://developers.openai.com/api/docs/guides/prompt-caching)
OPENAI_SUMMARY = (
    "Batch -50% comes from a summary of https://openai.com/api/pricing (2026-05-06), not the "
    "page's own words."
)
GPT_56_NOTE = (
    "Cache write 1.25x input (prompt-caching guide). Prompts over 272K input tokens: 2x input, "
    "1.5x output for the full request (model page); the usage API does not report prompt "
    "length, so it is not applied. " + OPENAI_SUMMARY
)
OPENAI = {
    # model: (url, date, (input, cached, write, output), batch, priority, long context,
    #         confirmed, note)
    "gpt-5.6-sol": (
        "https://developers.openai.com/pt-BR/api/docs/models/gpt-5.6-sol",
        CORPUS_READ,
        ("4.00", "0.40", "5.00", "20.00"),
        "0.5",
        None,
        (272_000, "2", "1.5"),
        False,
        "Promotional price (20% off input, 33% off output), available 'at least until 21 "
        "November 2026'; the launch price was $5 / $0.50 / $30 (third-party capture, "
        "2026-08-19). Add the post-promotion price as a new row from its date. " + GPT_56_NOTE,
    ),
    "gpt-5.6-terra": (
        "https://developers.openai.com/de-DE/api/docs/models/gpt-5.6-terra",
        CORPUS_READ,
        ("2.00", "0.20", "2.50", "12.00"),
        "0.5",
        None,
        (272_000, "2", "1.5"),
        False,
        GPT_56_NOTE,
    ),
    "gpt-5.6-luna": (
        "https://developers.openai.com/api/docs/models/gpt-5.6-luna",
        CORPUS_READ,
        ("0.20", "0.02", "0.25", "1.20"),
        "0.5",
        None,
        (272_000, "2", "1.5"),
        False,
        GPT_56_NOTE,
    ),
    "gpt-6.2-sol": (
        "https://developers.openai.com/api/docs/models/gpt-6.2-sol",
        CORPUS_READ,
        ("2.00", "0.10", "2.50", "10.00"),
        "0.5",
        None,
        None,
        True,
        "'Batch costs 50% of Standard rates.' The cache write is the 30-minute rate; 'A "
        "12-hour cache write costs $5 per million tokens', which the usage API does not tell "
        "apart. Long context doubles input and cache rates and multiplies output by 1.5, "
        "above a threshold not captured: not entered.",
    ),
    # Priority rates from https://openai.com/api-priority-processing/ ("excludes long
    # context"); standard rates from the pricing-page summary.
    "gpt-5.5": (
        "https://openai.com/api-priority-processing/",
        CORPUS_READ,
        ("5.00", "0.50", "5.00", "30.00"),
        "0.5",
        "2.5",
        None,
        False,
        "Priority $12.50 / $1.25 / $75 (2.5x) from the priority page; standard rates and "
        + OPENAI_SUMMARY,
    ),
    "gpt-5.4": (
        "https://openai.com/api-priority-processing/",
        CORPUS_READ,
        ("2.50", "0.25", "2.50", "15.00"),
        "0.5",
        "2",
        None,
        False,
        "Priority $5 / $0.50 / $30 (2x) from the priority page; standard rates and "
        + OPENAI_SUMMARY,
    ),
    "gpt-5.4-mini": (
        "https://openai.com/api-priority-processing/",
        CORPUS_READ,
        ("0.75", "0.075", "0.75", "4.50"),
        "0.5",
        "2",
        None,
        False,
        "Priority $1.50 / $0.15 / $9 (2x) from the priority page; standard rates and "
        + OPENAI_SUMMARY,
    ),
}
# Seeded in 0002: the batch discount of the summary; gpt-5's priority rate is on the
# priority page ($2.50 / $0.25 / $20, 2x its 0002 rates).
OPENAI_0002 = [
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4o",
    "gpt-4o-mini",
    "o3",
    "o4-mini",
]


def _create(ModelPrice, model, **fields):
    ModelPrice.objects.get_or_create(model=model, effective_from=FIRST, defaults=fields)


def _amend(ModelPrice, model, **fields):
    """Fill what 0002 could not say, on the 0002 row only where still empty."""
    row = ModelPrice.objects.filter(model=model, effective_from=FIRST).first()
    if row is None:
        return
    for name, value in fields.items():
        if getattr(row, name) in (None, ""):
            setattr(row, name, value)
    row.save()


def seed(apps, schema_editor):
    ModelPrice = apps.get_model("leaderboard", "ModelPrice")
    half, us = Decimal("0.5"), Decimal("1.1")
    for model, (inp, read, write, write_1h, out, regional) in ANTHROPIC.items():
        _create(
            ModelPrice,
            model,
            input_per_million=Decimal(inp),
            cached_input_per_million=Decimal(read),
            cache_write_per_million=Decimal(write),
            cache_write_1h_per_million=Decimal(write_1h),
            output_per_million=Decimal(out),
            batch_multiplier=half,
            regional_multiplier=Decimal(regional),
            source_url=ANTHROPIC_PAGE,
            source_date=ANTHROPIC_READ,
            confirmed=True,
            note=MODEL_ID_NOTE,
        )
    for model, write_1h in ANTHROPIC_0002.items():
        _amend(
            ModelPrice,
            model,
            cache_write_1h_per_million=Decimal(write_1h),
            batch_multiplier=half,
            source_url=ANTHROPIC_PAGE,
            source_date=ANTHROPIC_READ,
            note=OLD_MODEL_NOTE,
        )
    for model, (url, (inp, read, write, write_1h, out), note) in ANTHROPIC_NEWER.items():
        _create(
            ModelPrice,
            model,
            input_per_million=Decimal(inp),
            cached_input_per_million=Decimal(read),
            cache_write_per_million=Decimal(write),
            cache_write_1h_per_million=Decimal(write_1h),
            output_per_million=Decimal(out),
            batch_multiplier=half,
            regional_multiplier=us,
            source_url=url,
            source_date=CORPUS_READ,
            note=f"{note} US-only inference 1.1x is the pricing page's rule for Claude 4.6 "
            f"and later. {MODEL_ID_NOTE}",
        )
    for model, (url, read_on, rates, batch, priority, long, confirmed, note) in OPENAI.items():
        inp, cached, write, out = rates
        threshold, long_in, long_out = long or (None, None, None)
        _create(
            ModelPrice,
            model,
            input_per_million=Decimal(inp),
            cached_input_per_million=Decimal(cached),
            cache_write_per_million=Decimal(write),
            output_per_million=Decimal(out),
            batch_multiplier=Decimal(batch),
            priority_multiplier=None if priority is None else Decimal(priority),
            long_context_threshold=threshold,
            long_context_input_multiplier=None if long_in is None else Decimal(long_in),
            long_context_output_multiplier=None if long_out is None else Decimal(long_out),
            source_url=url,
            source_date=read_on,
            confirmed=confirmed,
            note=note,
        )
    for model in OPENAI_0002:
        _amend(
            ModelPrice,
            model,
            batch_multiplier=half,
            priority_multiplier=Decimal(2) if model == "gpt-5" else None,
            note=OPENAI_SUMMARY,
        )


def unseed(apps, schema_editor):
    ModelPrice = apps.get_model("leaderboard", "ModelPrice")
    created = [*ANTHROPIC, *ANTHROPIC_NEWER, *OPENAI]
    ModelPrice.objects.filter(model__in=created, effective_from=FIRST).delete()


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0021_model_prices_effective_dated")]
    operations = [migrations.RunPython(seed, unseed)]
