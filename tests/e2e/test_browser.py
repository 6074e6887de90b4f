"""Headless Chromium (Debian's package) driven by Playwright: what a person sees and does.

Screenshots of the main pages at 1280 and 390 px wide are saved to var/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from leaderboard.models import Board, Person
from leaderboard.services.people import ensure_user_for_person, set_manager
from tests.factories import (
    AccountFactory,
    AwardFactory,
    BadgeFactory,
    PersonFactory,
    SourceFactory,
    TeamFactory,
    UsageFactFactory,
)
from tests.oidc_provider import callback, providers, running_provider

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch) -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium (CI installs it: apt-get install chromium)")
    # Playwright's sync API runs an event loop; the ORM calls here are plain test setup.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def company(usage, seeded_boards, settings):
    """A small company with a month of usage, in demo mode so anyone can sign in."""
    settings.DEMO_MODE = True
    today = dt.date.today()
    teams = [TeamFactory(name=n) for n in ["Platform", "Payments", "Mobile"]]
    people = [
        PersonFactory(display_name=f"{first} {last}", team=teams[i % 3])
        for i, (first, last) in enumerate(
            zip(
                ["Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro"],
                ["Alvarez", "Brennan", "Chen", "Dubois", "Eriksen", "Fischer", "Gupta", "Ito"],
                strict=True,
            )
        )
    ]
    for back in range(40):
        day = today - dt.timedelta(days=back)
        for i, person in enumerate(people):
            # everyone today: on the first day of a month, the month's boards hold only today
            if back == 0 or (back + i) % 3:
                usage(
                    person,
                    day,
                    input=1_000_000 * (i + 1) + back * 1000,
                    cache_read=400_000 * (8 - i),
                    output=50_000 * (i % 4 + 1),
                    requests=10 + i,
                    cost=f"{(i + 1) * 0.75:.2f}",
                    model=f"m{back % 3}",
                )
    return people


def errors_of(page) -> list[str]:
    """Console errors, except plotly's style-rule injection that the CSP blocks on purpose
    (static/css/plotly.css carries those rules instead)."""
    found: list[str] = []
    page.on(
        "console",
        lambda m: (
            found.append(f"{m.text} @ {m.location.get('url')}")
            if m.type == "error"
            and "favicon" not in m.location.get("url", "")
            and not ("plotly.min.js" in m.location.get("url", "") and "inline style" in m.text)
            else None
        ),
    )
    return found


def sign_in(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/accounts/demo/")
    page.select_option("#person", label=name)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_person_browses_boards_lenses_periods_and_charts(browser, live_server, company) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Chloe Chen")
    page.screenshot(path=SHOTS / "boards-1280.png", full_page=True)
    assert page.locator(".board-card").count() == 4

    page.click("text=Token volume")
    page.wait_for_selector("#standings tbody tr")
    # the current month (on its first two days a board opens on the last one)
    page.goto(f"{live_server.url}/boards/token-volume/?back=0")
    page.wait_for_selector("#standings tbody tr")
    page.evaluate("window.__sameDocument = true")
    first = page.locator("#standings tbody tr").first.inner_text()

    page.select_option("#lens", "output")
    page.wait_for_url("**lens=output**")
    # expect() polls from Playwright: a wait_for_function string is eval'd in the page,
    # which the CSP refuses once the first check is false.
    expect(page.locator("#standings th:nth-child(4)")).to_contain_text("Output")
    assert page.locator("#standings tbody tr").first.inner_text() != first
    assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded

    page.click("text=← Previous")
    page.wait_for_url("**back=1**")
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%B %Y")
    page.wait_for_selector(f"#standings .period-nav >> text={last_month}")
    assert page.evaluate("window.__sameDocument") is True
    page.go_back()
    page.wait_for_url("**lens=output**")
    page.wait_for_selector("#standings .period-nav >> text=Current")  # restored
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SHOTS / "board-1280.png", full_page=True)

    page.click("nav[aria-label=Main] >> text=My page")
    page.wait_for_selector(".chart[data-drawn=true] .main-svg")
    assert page.locator(".chart[data-drawn=true]").count() == 4
    page.screenshot(path=SHOTS / "person-1280.png", full_page=True)
    assert errors == []


def test_the_period_survives_changing_lens_team_and_search(browser, live_server, company) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Chloe Chen")
    page.goto(f"{live_server.url}/boards/token-volume/?back=0")  # the current month
    page.wait_for_selector("#standings tbody tr")
    page.evaluate("window.__sameDocument = true")
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%B %Y")

    page.click("text=← Previous")
    page.wait_for_url("**back=1**")
    expect(page.locator("#standings .period-nav strong")).to_have_text(last_month)

    page.select_option("#lens", "output")
    page.wait_for_url("**lens=output**")
    expect(page.locator("#standings th:nth-child(4)")).to_contain_text("Output")
    expect(page.locator("#standings .period-nav strong")).to_have_text(last_month)
    expect(page).to_have_title(f"Token volume · Output tokens · {last_month} · Tokenboard")

    page.select_option("#team", label="Payments")
    page.wait_for_url("**team=**")
    expect(page.locator("#standings tbody tr [data-team]").first).to_have_text("Payments")
    expect(page.locator("#standings .period-nav strong")).to_have_text(last_month)

    page.fill("#q", "Ben")
    page.wait_for_url("**q=Ben**")
    expect(page.locator("#standings tbody tr")).to_have_count(1)
    expect(page.locator("#standings .period-nav strong")).to_have_text(last_month)
    assert "back=1" in page.url
    assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded
    assert errors == []


def test_a_person_sees_a_new_badge_once_and_the_page_posts_that_it_was_shown(
    browser, live_server, company
) -> None:
    ada = company[0]
    award = AwardFactory(person=ada, badge=BadgeFactory(name="Trail Blazer", icon="T"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Ada Alvarez")

    with page.expect_response(lambda r: r.url.endswith("/notices-seen/")) as seen:
        page.goto(f"{live_server.url}/people/{ada.public_id}/")

    assert (seen.value.request.method, seen.value.status) == ("POST", 204)
    expect(page.locator("#badge-notices")).to_contain_text("Trail Blazer")  # still shown
    expect(page.locator("#badge-notices button")).to_have_count(0)  # Dismiss: no script only
    award.refresh_from_db()
    assert award.noticed_at is not None
    page.reload()
    expect(page.locator("#person-badges")).to_contain_text("Trail Blazer")
    expect(page.locator("#badge-notices")).to_have_count(0)
    assert errors == []


def test_a_model_named_like_a_link_shows_as_text_in_the_chart_legend(
    browser, live_server, company, usage
) -> None:
    link = '<a href="https://evil.example/">Refund</a>'
    usage(company[0], dt.date.today(), model=link, input=5_000_000)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Ada Alvarez")

    page.goto(f"{live_server.url}/people/{company[0].public_id}/?by=model")
    legend = page.locator('[data-chart="chart-tokens"] .legend')
    expect(legend).to_contain_text(link)  # the characters themselves, visible
    assert legend.locator("a, [href]").count() == 0  # no link, and nothing to click
    assert page.locator('[data-chart="chart-tokens"] a').count() == 0
    assert errors == []


def test_in_a_large_company_a_person_finds_their_team_by_typing(
    browser, live_server, company
) -> None:
    for n in range(40):
        TeamFactory(name=f"Squad {n:02d}")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Ben Brennan")
    page.goto(f"{live_server.url}/boards/token-volume/")
    page.wait_for_selector("#standings tbody tr")
    assert page.locator("#team-names option").count() == 0  # nothing loaded yet

    page.focus("#team")
    expect(page.locator("#team-names option")).to_have_count(43)
    page.fill("#team", "Payments")
    page.press("#team", "Tab")  # leaving the box commits it, like picking a suggestion

    page.wait_for_url("**team=Payments**")
    expect(page.locator("#standings tbody tr")).to_have_count(3)  # Ben, Elena, Hiro
    people = page.locator("#standings tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(people) == ["Ben Brennan", "Elena Eriksen", "Hiro Ito"]
    page.screenshot(path=SHOTS / "board-team-search-1280.png", full_page=True)
    assert errors == []


def test_the_main_pages_fit_a_phone(browser, live_server, company) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, live_server, "Ada Alvarez")
    page.screenshot(path=SHOTS / "boards-390.png", full_page=True)
    page.goto(f"{live_server.url}/boards/token-volume/")
    page.screenshot(path=SHOTS / "board-390.png", full_page=True)
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= 390  # nothing spills sideways
    page.goto(f"{live_server.url}/people/{company[0].public_id}/")
    page.wait_for_selector(".chart[data-drawn=true] .main-svg")
    page.screenshot(path=SHOTS / "person-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_at_390_px_no_page_scrolls_sideways_and_the_board_keeps_cost_beside_tokens(
    browser, live_server, company
) -> None:
    """A manager on a phone: the boards, a board, a person and the unattributed page (an
    API key's usage and an unmatched account with a long name) all fit 390 px."""
    from django.utils import timezone

    from leaderboard.models import Account

    manager = company[1]
    set_manager(user=ensure_user_for_person(person=manager), manager=True)
    source = SourceFactory(name="claude-code-analytics-production", provider="claude_code")
    key = AccountFactory(
        provider="claude_code",
        person=None,
        kind=Account.Kind.API_KEY,
        external_id="sk-ant-api03-build-pipeline-nightly-integration-tests",
    )
    UsageFactFactory(
        source=source, account=key, day=timezone.now().date(), input=2_000_000, output=90_000
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    errors = errors_of(page)
    sign_in(page, live_server, f"{manager.display_name} (manager)")
    pages = {
        "boards": "/",
        "board": "/boards/token-volume/",
        "person": f"/people/{company[0].public_id}/",
        "unattributed": "/manage/unattributed/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=SHOTS / f"phone-{name}-390.png", full_page=True)
        widest = page.evaluate("document.scrollingElement.scrollWidth")
        assert widest <= 390, f"{path} is {widest} px wide at 390"
        if name == "board":
            cost = page.locator("#standings thead th", has_text="Cost")
            expect(cost).to_be_visible()
            box = cost.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390
            # Rank, Person, Team (hidden on a phone), Total tokens, Cost
            first = page.locator("#standings tbody tr").first.locator("td")
            expect(first.nth(4)).to_be_visible()
            expect(first.nth(4)).to_contain_text("$")
    assert errors == []


def test_the_data_status_page_shows_each_source_at_both_widths(
    browser, live_server, company, usage
) -> None:
    """A pulled Claude Code connection a day behind, with an API key's usage no person owns,
    beside the company's OpenAI source: the board notes the days not complete yet."""
    from django.utils import timezone

    from ingest.models import Connection, IngestRun
    from leaderboard.models import Account

    source = SourceFactory(name="claude-code-analytics-production", provider="claude_code")
    connection = Connection.objects.create(
        name=source.name,
        provider="claude_code",
        base_url="https://api.anthropic.com",
        source=source,
    )
    now = timezone.now()
    IngestRun.objects.create(
        connection=connection,
        window_start=now.date() - dt.timedelta(days=3),
        window_end=now.date(),
        status=IngestRun.Status.SUCCEEDED,
        started_at=now - dt.timedelta(minutes=20),
        finished_at=now - dt.timedelta(minutes=19),
    )
    key = AccountFactory(provider="claude_code", person=None, kind=Account.Kind.API_KEY)
    UsageFactFactory(source=source, account=key, input=2_000_000, output=90_000)
    usage(company[0], now.date(), source=source, model="claude-opus-5", input=9_000_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in [(1280, 900), (390, 844)]:
        page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 500)
        sign_in(page, live_server, "Ada Alvarez")
        page.goto(f"{live_server.url}/data/")
        expect(page.locator("#source-claude-code-analytics-production")).to_contain_text(
            "n/a (not reported)"
        )
        page.screenshot(path=SHOTS / f"data-status-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"{live_server.url}/boards/token-volume/")
        expect(page.locator(".incomplete-days")).to_contain_text("is not complete yet")
        page.screenshot(path=SHOTS / f"board-incomplete-days-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()


def test_a_manager_retires_a_board_and_everyone_sees_the_archive(browser, live_server, company):
    manager = company[1]  # a manager through the group, not a superuser
    set_manager(user=ensure_user_for_person(person=manager), manager=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server, f"{manager.display_name} (manager)")
    page.goto(f"{live_server.url}/admin/leaderboard/board/")
    row = page.locator("tr", has_text="token-volume")
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "retire")
    page.click("button[name=index]")
    page.check("input[value=archive]")
    page.click("input[name=confirm]")
    page.wait_for_selector("text=Token volume: now Retired.")

    page.goto(f"{live_server.url}/boards/token-volume/")
    assert page.locator("text=Retired on").count() == 1
    assert page.locator("table.standings tbody tr").count() == len(company)
    page.screenshot(path=SHOTS / "archive-1280.png", full_page=True)
    assert Board.objects.get(slug="token-volume").status == "retired"


@pytest.fixture
def company_sso(live_server, usage, seeded_boards, settings) -> Iterator[str]:
    """Company sign-in at the real OpenID provider, registered for the live server; no demo."""
    settings.DEMO_MODE = False
    settings.ALLOWED_EMAIL_DOMAINS = ["example.com"]
    ada = PersonFactory(email="ada@example.com", display_name="Ada Alvarez")
    usage(ada, dt.date.today(), input=1_000_000, output=50_000)
    with running_provider([callback(live_server.url, "test-op")]) as issuer:
        settings.SOCIALACCOUNT_PROVIDERS = providers(issuer)
        yield issuer


def csp_violations_of(page) -> list[str]:
    """Everything the console says about the Content-Security-Policy, on any origin."""
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return found


def sign_in_at_the_provider(page, live_server, login: str) -> None:
    """Click through Tokenboard's sign-in button and the provider's login and consent pages."""
    page.goto(f"{live_server.url}/")
    page.click("text=Test SSO")
    page.click("button[type=submit] >> text=Continue")  # allauth POSTs to start the flow
    page.wait_for_selector("input[name=login]", timeout=10_000)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.click("button[type=submit] >> text=Continue")  # the provider's consent


def test_a_person_signs_in_at_the_company_identity_provider_with_the_csp_enforced(
    browser, live_server, company_sso
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = csp_violations_of(page)

    sign_in_at_the_provider(page, live_server, "ada@example.com")

    page.wait_for_url(f"{live_server.url}/", timeout=10_000)
    assert page.locator(".board-card").count() == 4
    my_page = page.locator("nav[aria-label=Main] >> text=My page")
    ada = Person.objects.get(email="ada@example.com")
    assert my_page.get_attribute("href") == f"/people/{ada.public_id}/"
    assert ada.user.socialaccount_set.get().provider == "test-op"
    assert violations == []


def test_a_person_from_another_domain_is_refused_in_the_browser(
    browser, live_server, company_sso
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = csp_violations_of(page)

    sign_in_at_the_provider(page, live_server, "mallory@evil.test")

    expect(page.locator("h1")).to_have_text("You can't sign in here")
    expect(page.locator(".lede")).to_contain_text("Addresses at evil.test may not sign in")
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert not Person.objects.filter(email="mallory@evil.test").exists()
    assert violations == []


def test_the_watermark_shows_on_screen_and_names_the_viewer_to_an_auditor(
    browser, live_server, company
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = csp_violations_of(page)
    sign_in(page, live_server, "Chloe Chen")
    page.goto(f"{live_server.url}/boards/token-volume/")

    strip = page.locator("[data-watermark]")
    expect(strip).to_be_visible()
    overlay = page.locator(".watermark")
    assert float(overlay.evaluate("e => getComputedStyle(e).opacity")) < 0.2  # unobtrusive
    assert overlay.evaluate("e => getComputedStyle(e).pointerEvents") == "none"
    code = strip.get_attribute("data-watermark").split()[0]
    out = io.StringIO()
    call_command("resolve_watermark", code, stdout=out)
    chloe = Person.objects.get(display_name="Chloe Chen")
    assert chloe.user.email in out.getvalue()
    assert violations == []


def test_the_admin_lists_show_every_column_at_a_laptops_width(browser, live_server, company):
    """At 1280 px the filter column squeezed the lists: a board's Paused/Retired and a badge's
    Enabled and Holders scrolled out of sight."""
    manager = company[1]
    set_manager(user=ensure_user_for_person(person=manager), manager=True)
    BadgeFactory(name="Wide", slug="wide")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, f"{manager.display_name} (manager)")

    for path in ("/admin/leaderboard/board/", "/admin/badges/badge/", "/admin/leaderboard/person/"):
        page.goto(f"{live_server.url}{path}")
        hidden = page.evaluate(
            "() => { const t = document.querySelector('#result_list');"
            " return t ? t.scrollWidth - t.parentElement.clientWidth : -1; }"
        )
        assert hidden <= 0, (path, hidden)  # -1: no list at all would fail below
        assert page.locator("#result_list").count() == 1, path
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280, path
    page.screenshot(path=SHOTS / "admin-badges-1280.png", full_page=True)
    assert errors == []


# Every text element of a drawn chart, with its computed fill and the colour behind the chart
# (plotly's paper is transparent: the first ancestor with an opaque background).
CHART_TEXT = """() => Array.from(document.querySelectorAll('.chart[data-drawn=true]')).flatMap(
  chart => {
    let node = chart, background = 'rgba(0, 0, 0, 0)';
    while (node && background.match(/rgba\\(.*, 0\\)$|transparent/)) {
      background = getComputedStyle(node).backgroundColor; node = node.parentElement;
    }
    const texts = Array.from(chart.querySelectorAll('.main-svg text'));
    return texts.filter(t => t.textContent.trim()).map(t => ({
      chart: chart.dataset.chart, text: t.textContent,
      kind: t.getAttribute('class') || t.parentElement.getAttribute('class'),
      fill: getComputedStyle(t).fill, opacity: getComputedStyle(t).opacity,
      background: background,
    }));
  })"""


def rgb(css: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in css[css.index("(") + 1 : css.index(")")].split(",")]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else 1.0)


def contrast(fill: str, opacity: str, background: str) -> float:
    """WCAG 2 contrast ratio of text over its background, the text's alpha blended in."""
    r, g, b, a = rgb(fill)
    a *= float(opacity)
    br, bg, bb, _ = rgb(background)
    blended = [a * c + (1 - a) * d for c, d in ((r, br), (g, bg), (b, bb))]

    def luminance(channels: list[float]) -> float:
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (v / 255 for v in channels)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(blended), luminance([br, bg, bb])], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_text_reads_against_the_chart_in_light_and_dark(
    browser, live_server, company, scheme
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    errors = errors_of(page)
    sign_in(page, live_server, "Chloe Chen")
    page.goto(f"{live_server.url}/people/{company[2].public_id}/?by=model")
    page.wait_for_selector(".chart[data-drawn=true] .main-svg")
    expect(page.locator(".chart[data-drawn=true]")).to_have_count(4)
    page.screenshot(path=SHOTS / f"person-charts-{scheme}-1280.png", full_page=True)

    texts = page.evaluate(CHART_TEXT)

    kinds = {t["kind"] for t in texts}
    assert {"xtick", "ytick", "legendtext", "ytitle"} <= {k.split()[0] for k in kinds if k}
    low = [
        (t["chart"], t["text"], t["fill"], t["background"], round(c, 2))
        for t in texts
        if (c := contrast(t["fill"], t["opacity"], t["background"])) < 4.5
    ]
    assert low == []
    assert errors == []


def test_a_first_day_chart_reads_in_days_dollars_and_rounded_tokens(
    browser, live_server, company, usage
) -> None:
    """One day of usage: ticks on the day (not "23:59:59.9995"), "$4,000" not "$4000",
    a hover of "100.9M" not "100.8976M", and a rank axis that starts at 1."""
    zoe = PersonFactory(display_name="Zoe Zhang")
    usage(zoe, dt.date.today(), input=100_897_600, cost="4000.00", model="m0")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = errors_of(page)
    sign_in(page, live_server, "Zoe Zhang")
    page.goto(f"{live_server.url}/people/{zoe.public_id}/")
    expect(page.locator(".chart[data-drawn=true]")).to_have_count(4)

    def ticks(chart: str, axis: str) -> list[str]:
        texts = page.locator(f'[data-chart="{chart}"] .{axis}tick text')
        return texts.evaluate_all("nodes => nodes.map(node => node.textContent)")

    today = dt.date.today()
    assert ticks("chart-tokens", "x") == [f"{today:%b} {today.day}"]
    assert ticks("chart-cache", "x") == [f"{today:%b} {today.day}"]
    assert "$4,000" in ticks("chart-cost", "y")
    assert ticks("chart-rank", "y")[0] == "1"
    assert "0" not in ticks("chart-rank", "y")
    assert ticks("chart-rank", "x") == [f"{today:%b %Y}"]

    bar = page.locator('[data-chart="chart-tokens"] .bars path').first
    assert bar.bounding_box()["width"] > 20  # a lone day's bar is drawn, not a hairline
    page.locator('[data-chart="chart-tokens"] .nsewdrag').hover()
    hover = page.locator('[data-chart="chart-tokens"] .hoverlayer')
    expect(hover).to_contain_text("100.9M")
    page.screenshot(path=SHOTS / "person-one-day-1280.png", full_page=True)
    assert errors == []
