"""What tests share besides fixtures (those live in conftest.py files): the days they run on,
reading people's rows and figures out of a page by its data attributes, a badge and its
award, and the SQL probes of stored facts. No test module imports from another; what two
of them need is here."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any, NamedTuple

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from hypothesis import strategies as st

from badges.models import Badge
from ingest.services.connections import connect_provider
from leaderboard.db import facts
from leaderboard.models import Person
from tests.factories import AwardFactory, BadgeFactory
from tests.stubs import ADMIN_KEY

# The leaderboard's tests run at NOW (tests/leaderboard/conftest.py freezes the clock there):
# a Thursday, with August the current month. AUG, a Monday, counts on every monthly board.
NOW = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)
AUG = dt.date(2026, 8, 3)

# The badge tests' day, a Wednesday: the week of Aug 10-16 and July are closed, August is not.
BADGES_TODAY = dt.date(2026, 8, 19)
BADGES_NOW = dt.datetime(2026, 8, 19, 12, tzinfo=dt.UTC)

# The header htmx sends with each of its requests, as the test client takes it.
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- reading pages ------------------------------------------------------------------------------


class Element(NamedTuple):
    tag: str
    attrs: dict[str, str | None]
    html: str  # its markup, from its start tag to its end tag
    text: str  # its text as a reader sees it: entities decoded, whitespace collapsed


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Finder(HTMLParser):
    """Collects the elements that match, each with its markup and text."""

    def __init__(self, source: str, match: Callable[[str, dict[str, str | None]], bool]) -> None:
        super().__init__(convert_charrefs=True)
        self.source, self.match = source, match
        self.line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        # Open matches: tag, attributes, where it starts, same-tag elements open inside, text.
        self.open: list[list[Any]] = []
        self.found: list[tuple[int, Element]] = []

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for entry in self.open:
            if entry[0] == tag:
                entry[3] += 1
        if not self.match(tag, dict(attrs)):
            return
        if tag in VOID:  # no end tag: the element is its start tag
            start_tag = self.get_starttag_text() or ""
            element = Element(tag, dict(attrs), start_tag, "")
            self.found.append((self.position(), element))
        else:
            self.open.append([tag, dict(attrs), self.position(), 0, []])

    def handle_endtag(self, tag: str) -> None:
        for entry in list(self.open):
            if entry[0] != tag:
                continue
            if entry[3]:
                entry[3] -= 1
                continue
            self.open.remove(entry)
            start, end = entry[2], self.source.index(">", self.position()) + 1
            text = " ".join("".join(entry[4]).split())
            self.found.append((start, Element(tag, entry[1], self.source[start:end], text)))

    def handle_data(self, data: str) -> None:
        for entry in self.open:
            entry[4].append(data)


def elements(html: str, tag: str | tuple[str, ...] = (), **attrs: str | None) -> list[Element]:
    """The elements of html with that tag (or any of those tags; any tag if none is given)
    and those attributes, in document order. An attribute is named with _ for -:
    data_person="x" for that value, data_rank=None for any value."""
    tags = (tag,) if isinstance(tag, str) else tag
    wanted = {name.replace("_", "-"): value for name, value in attrs.items()}

    def match(name: str, found: dict[str, str | None]) -> bool:
        return (not tags or name in tags) and all(
            key in found and (value is None or found[key] == value) for key, value in wanted.items()
        )

    finder = _Finder(html, match)
    finder.feed(html)
    finder.close()
    return [element for _, element in sorted(finder.found, key=lambda found: found[0])]


class Row(NamedTuple):
    """A person's row on a page, as its data attributes mark it: the row (a <tr> or an <li>)
    carries data-person, its rank cell data-rank, the element showing the name data-name
    and the team cell data-team."""

    person: str  # the public id; "" in a retired board's archive, which names no one's page
    rank: str
    name: str
    team: str  # "" where the row shows no team
    link: str | None  # where the name links to
    element: Element

    @property
    def html(self) -> str:
        return self.element.html

    @property
    def mine(self) -> bool:
        """Highlighted as the reader's own row."""
        return "me" in self.classes and self.element.attrs.get("aria-current") == "true"

    @property
    def pinned(self) -> bool:
        """The reader's own row repeated under a page that does not show it."""
        return "pinned" in self.classes

    @property
    def classes(self) -> set[str]:
        return set((self.element.attrs.get("class") or "").split())


def rows(html: str) -> list[Row]:
    """The people's rows in html (standings, the boards' podiums, a team's members, an
    archive): each <tr> or <li> with a data-rank inside it, in document order."""
    found = []
    for row in elements(html, ("tr", "li")):
        ranks = elements(row.html, data_rank=None)
        if not ranks:
            continue
        names = elements(row.html, data_name=None)
        teams = elements(row.html, data_team=None)
        found.append(
            Row(
                person=row.attrs.get("data-person") or "",
                rank=ranks[0].attrs["data-rank"] or "",
                name=names[0].text if names else "",
                team=teams[0].text if teams else "",
                link=names[0].attrs.get("href") if names else None,
                element=row,
            )
        )
    return found


def ranks(html: str) -> list[tuple[str, str]]:
    """(rank, name) of each ranked row, leaving out the reader's pinned copy of their own."""
    return [(row.rank, row.name) for row in rows(html) if not row.pinned]


def data(html: str, name: str) -> list[str]:
    """The values of the data-<name> attribute in html, in document order."""
    attribute = f"data-{name}"
    return [e.attrs[attribute] or "" for e in elements(html, **{attribute: None})]


def script_json(html: str, element_id: str) -> Any:
    """What a json_script element (<script id=... type="application/json">) holds."""
    (script,) = elements(html, "script", id=element_id, type="application/json")
    return json.loads(script.html.split(">", 1)[1].rsplit("</", 1)[0])


def timed(client: Client, path: str) -> tuple[HttpResponse, float]:
    """A GET and how many seconds it took."""
    start = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - start


# --- badges -------------------------------------------------------------------------------------


def post_notices_seen(client: Client, page: str) -> HttpResponse:
    """What a page's "new badge" notice does as it loads (htmx): post the awards it showed."""
    notices = elements(page, "div", id="badge-notices")[0].html
    form = elements(notices, "form", hx_post=None)[0]
    shown = [e.attrs["value"] for e in elements(form.html, "input", name="award")]
    return client.post(form.attrs["hx-post"] or "", {"award": shown}, **HTMX)


def grant_first_badge(person: Person, *, name: str, icon: str = "L", title: str = "") -> Badge:
    """A one-tier badge, and its award to person in August."""
    badge = BadgeFactory(
        slug=name.lower().replace(" ", "-"),
        name=name,
        description="d",
        icon=icon,
        group="Test",
        title=title,
        kind="first",
        tiers={"bronze": None},
        period="all_time",
        enabled=True,
    )
    AwardFactory(
        person=person,
        badge=badge,
        tier="bronze",
        period_start=AUG,
        period_end=AUG,
        granted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
    )
    return badge


# --- ingest -------------------------------------------------------------------------------------


def connect(name: str, provider: str, base_url: str):
    """A connection to a provider stub, with the stubs' admin key."""
    made, _ = connect_provider(name=name, provider=provider, api_key=ADMIN_KEY, base_url=base_url)
    return made


# --- stored facts (PostgreSQL) ------------------------------------------------------------------


def row_versions() -> dict[int, str]:
    """Each stored fact's row version (PostgreSQL's xmin): writing a fact gives it a new one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM leaderboard_usagefact")
        return dict(cursor.fetchall())


def seen() -> set[tuple]:
    """The keys pulls merged (changed or not), with the pull's time."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT account_id, day, model, recorded_at FROM {facts.SEEN}")  # noqa: S608
        return set(cursor.fetchall())


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90) -> None:
    """Poll until condition() holds (another process's work), or fail saying what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# Any JSON value a damaged provider page could carry where a documented one stood.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, as a tuple of keys and indexes."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


def claude_code_export(email: str, at: dt.datetime, **counts: int) -> bytes:
    """A delta export of Claude Code's token counter (OTLP/JSON) ending at a time: one point a
    token type (input=..., output=..., cacheRead=...), for one person on claude-opus-4-6."""
    end_ns = int(at.timestamp() * 1e9)
    points = [
        {
            "asInt": str(n),
            "startTimeUnixNano": str(end_ns - 60_000_000_000),
            "timeUnixNano": str(end_ns),
            "attributes": [
                {"key": "type", "value": {"stringValue": kind}},
                {"key": "model", "value": {"stringValue": "claude-opus-4-6"}},
                {"key": "user.email", "value": {"stringValue": email}},
            ],
        }
        for kind, n in counts.items()
    ]
    metric = {
        "name": "claude_code.token.usage",
        "unit": "tokens",
        "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points},
    }
    return json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [metric]}]}]}).encode()
