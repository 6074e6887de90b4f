"""Readable numbers: 281.0B tokens, $1,234.56."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

UNITS = [(10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")]


@register.filter
def tokens(value: int | None) -> str:
    """A token count in short form: 1,234 -> 1.2K, 281_000_000_000 -> 281.0B."""
    if value is None:
        return "n/a"
    for size, suffix in UNITS:
        if abs(value) >= size:
            return f"{Decimal(value) / size:.1f}{suffix}"
    return str(value)


@register.filter
def usd(value: Decimal | None) -> str:
    """Dollars with thousands separators and cents; n/a when unknown."""
    if value is None:
        return "n/a"
    return f"${Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
