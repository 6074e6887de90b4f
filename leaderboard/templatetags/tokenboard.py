"""Readable numbers (281.0B tokens, $1,234.56, 61.2%) and tiny server-drawn sparklines."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.utils.html import escape, format_html

from leaderboard.domain.presentation import presentation_name

register = template.Library()

UNITS = [(10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")]
# A lens value: a row's (a count, a share, a cost), or an archived row's as stored (a string).
type LensValue = int | float | Decimal | str | None


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
def usd(value: LensValue) -> str:
    """Dollars with thousands separators and cents; n/a when unknown."""
    if value is None:
        return "n/a"
    return f"${Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


COST_MARKS = {
    # basis: (mark, title)
    "estimated": ("≈", "Estimated from list prices"),
    "partial": ("≥", "Part of this usage has no price: at least this much"),
}


@register.filter
def cost(value: Decimal | None, basis: str | bool = "billed") -> str:
    """A cost with where it comes from: as billed, ≈ estimated from list prices, ≥ partly
    priced, or n/a when not priced (never $0.00). basis: a pricing.cost_basis value, or a
    row's cost_estimated flag."""
    if value is None:
        return format_html(
            '<abbr title="{}">n/a</abbr>', "Not priced: no reported cost and no list price"
        )
    if isinstance(basis, bool):
        basis = "estimated" if basis else "billed"
    if basis not in COST_MARKS:
        return usd(value)
    mark, title = COST_MARKS[basis]
    return format_html('<abbr title="{}">{}</abbr> {}', title, mark, usd(value))


@register.filter
def share(value: LensValue) -> str:
    return "n/a" if value is None else f"{Decimal(str(value)) * 100:.1f}%"


@register.filter
def in_unit(value: LensValue, unit: str) -> str:
    """A lens value in its unit."""
    if unit == "usd":
        return usd(value)
    if unit == "share":
        return share(value)
    if unit == "points":
        return "n/a" if value is None else f"{Decimal(str(value)):,.1f}"
    if unit in {"days", "count"}:
        return "n/a" if value is None else f"{int(value):,}"
    return tokens(None if value is None else int(value))


@register.filter
def sparkline(values: list[int] | None) -> str:
    """Points for an SVG polyline in a 100 x 24 box."""
    if not values:
        return ""
    top = max(values) or 1
    step = 100 / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{23 - 22 * v / top:.1f}" for i, v in enumerate(values))


@register.filter
def lookup[K, V](mapping: Mapping[K, V] | None, key: K) -> V | None:
    return (mapping or {}).get(key)


class MarkRowNode(template.Node):
    def __init__(self, nodelist: template.NodeList, public_id: template.base.FilterExpression):
        self.nodelist, self.public_id = nodelist, public_id

    def render(self, context: template.Context) -> str:
        html = self.nodelist.render(context)
        public_id = self.public_id.resolve(context)
        if not public_id:
            return html
        row = f'<tr data-person="{escape(public_id)}"'
        return html.replace(f"{row}>", f'{row} class="me" aria-current="true">')


@register.tag
def mark_row(parser: template.base.Parser, token: template.base.Token) -> MarkRowNode:
    """{% mark_row public_id %}...{% endmark_row %}: highlight that person's row
    (<tr data-person="public id">) in the rows inside, which may come from a shared cache."""
    try:
        _, public_id = token.split_contents()
    except ValueError:
        raise template.TemplateSyntaxError("mark_row takes one argument: a public id") from None
    nodelist = parser.parse(("endmark_row",))
    parser.delete_first_token()
    return MarkRowNode(nodelist, parser.compile_filter(public_id))


@register.simple_tag(takes_context=True)
def shown_name(context: template.Context, name: str, key: str) -> str:
    """name, or in presentation mode a pseudonym made from key (a public id or stored name)."""
    if context.get("presenting"):
        return presentation_name(secret=settings.SECRET_KEY, key=str(key))
    return name
