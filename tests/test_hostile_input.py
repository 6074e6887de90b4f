"""Hostile input never makes a page answer 5xx: NUL, overlong text, control characters, lone
surrogates, bytes that are not UTF-8, huge and negative numbers, thrown at every parameter of
every page an employee can reach, every admin list a manager can filter, and every form."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

import pytest
from django.contrib import admin
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badges.models import DisplayedTitle
from ingest.services.receiver import connect_receiver
from leaderboard.models import Account, Flag, GamingRule, Person, User
from tests.factories import AccountFactory, BadgeFactory, UsageFactFactory, UserFactory
from tests.helpers import AUG

ROOT = Path(__file__).resolve().parent.parent

# Every query parameter a view reads (a test below keeps this in step with the code), and a
# name no view reads.
QUERY_PARAMETERS = ["team", "q", "lens", "period", "back", "page", "by", "board", "next", "x"]
# Every form field a view reads, by the form it belongs to.
FORM_PARAMETERS = {
    "privacy": ["visibility"],
    "title": ["badge"],
    "notices-seen": ["award"],
    "demo-sign-in": ["person", "next"],
    "flag-note": ["note"],
}
# Parameters of the admin's lists besides each list's own filters.
ADMIN_PARAMETERS = ["q", "o", "p", "e", "all", "_facets"]

SAMPLES = [
    "\x00",
    "a\x00b",
    "\x00" * 64,
    "x" * 100_000,
    "\t\r\n\x0b\x0c\x1b[31m\x7f\x85",
    "\u202e\u200b\ufeff\u2028",
    "\ud800",  # a lone surrogate: no UTF-8 encoder accepts it, a hostile client sends it anyway
    "a\udfffb",
    "-1",
    "-" + "9" * 30,
    "9" * 30,
    "9" * 5000,
    "0",
    "1.5",
    "1e309",
    "NaN",
    "",
    " ",
    "%",
    "%00",
    "../../etc/passwd",
    "http://evil.example/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\U0001f4a5",
]


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# Values as bytes on the wire, so that what is not UTF-8 (b"\xff\xfe") can be sent too.
HOSTILE = st.one_of(
    st.sampled_from(SAMPLES).map(encoded),
    st.text(st.characters(exclude_categories=()), max_size=30).map(encoded),
    st.integers().map(lambda n: str(n).encode()),
    st.binary(max_size=30),
)
# The worst of them, sent in every parameter at once to every page and form on every run.
CLASSICS = [
    b"\x00",
    b"\xff\xfe",
    encoded("\ud800"),
    b"x" * 100_000,
    b"\t\r\n\x1b\x7f",
    b"-" + b"9" * 30,
    b"9" * 5000,
]


def query(params: dict[str, bytes]) -> str:
    """A raw query string (or form body): each value percent-encoded byte by byte."""
    return "&".join(
        f"{quote(name)}={quote_from_bytes(value, safe='')}" for name, value in params.items()
    )


def hostile_params(names: list[str]) -> st.SearchStrategy[dict[str, bytes]]:
    """Hostile values for some of names."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, HOSTILE)).filter(bool)


def routes(patterns: list, prefix: str = "") -> list[str]:
    """Every URL pattern outside the admin site, as a route with its parameters' names."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                found += routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return sorted(set(found))


ROUTES = routes(get_resolver().url_patterns)
# Who requests each page: an employee every one, a manager those only a manager gets past.
PAGES = [("employee", r) for r in ROUTES] + [
    ("manager", r) for r in ROUTES if r.startswith(("manage/", "admin/"))
]
ADMIN_LISTS = sorted(
    f"{model._meta.app_label}_{model._meta.model_name}" for model in admin.site._registry
)
FORMS = sorted(FORM_PARAMETERS)
# The fixture that signs each of them in.
CLIENTS = {"employee": "employee_client", "manager": "superuser_client"}


def fill(route: str, samples: dict[str, str]) -> str:
    """route with a real value for each parameter; the sign-in library's own parameters
    (provider ids, keys) get a placeholder."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in samples:
            return samples[name]
        assert route.startswith("accounts/"), f"no sample value for <{name}> in {route}"
        return "x"

    if route.startswith("^"):  # a regex route of a library: its groups get a placeholder
        return "/" + re.sub(r"\(\?P<\w+>[^)]*\)", "x", route.strip("^$")).replace("\\", "")
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def in_url(person: Person) -> str:
    """How a person's URLs name them (the one place to change if that changes)."""
    return person.public_id


BOUNDED = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _quick_passwords(settings) -> None:
    """The test users' passwords are never used: hash them in no time, not in a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(alice, bob, usage, volume):
    """Alice, with usage on the boards, and a badge whose title she could choose."""
    usage(alice, AUG, input=10)
    usage(bob, AUG, input=20)
    BadgeFactory(
        slug="titled", name="Titled", icon="T", group="g", title="Titan", kind="first",
        tiers={"bronze": None}, period="all_time", enabled=True,
    )  # fmt: skip
    # A day of hers held for gaming review, which she may write a note on.
    rule, _ = GamingRule.objects.get_or_create(slug="low-output", defaults={"kind": "low_output"})
    flag = Flag.objects.create(person=alice, day=AUG, rule=rule, reason="A test flag.")
    bot = AccountFactory(person=None, kind=Account.Kind.AGENT, external_id="svac_bot")
    UsageFactFactory(account=bot, source=usage.source, day=AUG, input=30)
    # The value of each URL parameter, by its name in the route.
    samples = {
        "slug": volume.slug,
        "public_id": in_url(alice),
        "team_id": str(alice.team_id),
        "flag_id": str(flag.pk),
        "agent_id": str(bot.pk),
        "connection": connect_receiver(name="claude-otel")[0].name,  # OpenTelemetry receiver
    }
    return {"alice": alice, "samples": samples, "flag": flag}


@pytest.fixture
def employee_client(world) -> Client:
    """Signed in as the employee, in a client of its own."""
    client = Client()
    client.force_login(world["alice"].user)
    return client


@pytest.fixture
def superuser(db) -> User:
    """The manager here is a superuser: every admin list is open to them."""
    return UserFactory(username="manager", is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def admin_list(superuser, request) -> tuple[str, list[str]]:
    """An admin list (changelist) and the parameters it reads: its filters' own, the date
    drill-down's, and search, ordering and paging."""
    model_admin = next(
        a
        for m, a in admin.site._registry.items()
        if f"{m._meta.app_label}_{m._meta.model_name}" == request.param
    )
    lister = RequestFactory().get("/")
    lister.user = superuser
    changelist = model_admin.get_changelist_instance(lister)
    names = [p for spec in changelist.filter_specs for p in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names += [f"{field}__year", f"{field}__month", f"{field}__day"]
    return reverse(f"admin:{request.param}_changelist"), names + ADMIN_PARAMETERS


@pytest.fixture
def form(world, employee_client, settings, request) -> tuple[Client, str, list[str]]:
    """Who posts a form, where, and its fields."""
    settings.DEMO_MODE = True  # the demo sign-in form exists only then
    alice = world["alice"]
    url = {
        "privacy": reverse("leaderboard:privacy", args=[in_url(alice)]),
        "title": reverse("badges:choose-title", args=[in_url(alice)]),
        "notices-seen": reverse("badges:notices-seen", args=[in_url(alice)]),
        "demo-sign-in": reverse("leaderboard:demo-sign-in"),
        "flag-note": reverse("leaderboard:flag-note", args=[in_url(alice), world["flag"].pk]),
    }[request.param]
    # Signing in as someone else would change who posts the next example's forms.
    client = Client() if request.param == "demo-sign-in" else employee_client
    return client, url, FORM_PARAMETERS[request.param]


def post(client: Client, url: str, fields: dict[str, bytes]) -> HttpResponse:
    return client.generic(
        "POST", url, data=query(fields).encode(), content_type="application/x-www-form-urlencoded"
    )


# --- the cases that answered 500 -------------------------------------------------------------


@pytest.mark.parametrize("param", ["team", "q"])
def test_a_nul_in_a_board_filter_is_refused_with_the_reason(employee_client, world, param) -> None:
    response = employee_client.get("/boards/token-volume/", {param: "platform\x00"})

    assert response.status_code == 400
    assert "does not accept a NUL character" in response.content.decode()


def test_a_nul_in_an_admin_search_or_a_form_is_refused_with_the_reason(
    superuser_client, world
) -> None:
    alice = world["alice"]
    search = superuser_client.get("/admin/leaderboard/person/", {"q": "\x00"})
    client = Client()
    client.force_login(alice.user)
    form = client.post(reverse("leaderboard:privacy", args=[in_url(alice)]), {"visibility": "\x00"})

    assert (search.status_code, form.status_code) == (400, 400)
    assert "does not accept a NUL character" in form.content.decode()


def test_a_visitor_who_is_not_signed_in_is_still_sent_to_sign_in_first(client, world) -> None:
    response = client.get("/boards/token-volume/", {"q": "\x00"})

    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("badge", ["abc", "1.5", "-1", "99999999999999999999", "999999"])
def test_a_badge_that_is_no_badge_is_the_title_forms_error(employee_client, world, badge) -> None:
    alice = world["alice"]

    response = employee_client.post(
        reverse("badges:choose-title", args=[in_url(alice)]), {"badge": badge}, follow=True
    )

    assert response.status_code == 200
    assert "That badge does not exist; choose another title." in response.content.decode()
    assert not DisplayedTitle.objects.filter(person=alice).exists()


def test_a_nul_in_the_title_form_is_refused(employee_client, world) -> None:
    url = reverse("badges:choose-title", args=[in_url(world["alice"])])

    assert employee_client.post(url, {"badge": "\x00"}).status_code == 400


@pytest.mark.parametrize("person", ["abc", "", "9" * 5000])
def test_the_demo_sign_in_refuses_a_person_that_is_not_an_id(client, world, settings, person):
    settings.DEMO_MODE = True

    response = client.post(reverse("leaderboard:demo-sign-in"), {"person": person})

    assert response.status_code == 400
    assert "Choose a person to sign in as." in response.content.decode()


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/admin/leaderboard/", "/admin/leaderboard/"),
        ("index", "index"),  # was looked up as a URL name: a 500
        ("https://evil.example/", "/admin/"),
    ],
)
def test_a_manager_is_sent_on_to_next_only_within_the_site(
    superuser_client, target, location
) -> None:
    response = superuser_client.get(reverse("admin-sign-in"), {"next": target})

    assert (response.status_code, response["Location"]) == (302, location)


@pytest.mark.parametrize(
    ("target", "location"), [("boards", "boards"), ("https://evil.example/", "/")]
)
def test_the_demo_sign_in_sends_on_to_next_only_within_the_site(
    client, world, settings, target, location
) -> None:
    settings.DEMO_MODE = True

    response = client.post(
        reverse("leaderboard:demo-sign-in"), {"person": world["alice"].pk, "next": target}
    )

    assert (response.status_code, response["Location"]) == (302, location)


def test_a_huge_year_in_an_admin_date_drill_down_shows_the_unfiltered_list(
    superuser_client,
) -> None:
    response = superuser_client.get("/admin/leaderboard/usagefact/", {"day__year": "9" * 30})

    assert response.status_code == 302
    assert response["Location"] == "/admin/leaderboard/usagefact/?e=1"


# --- whatever else a hostile client sends -------------------------------------------------------


@pytest.mark.parametrize(("who", "route"), PAGES)
def test_no_page_answers_5xx_to_the_worst_values_in_every_parameter(request, world, who, route):
    client, path = request.getfixturevalue(CLIENTS[who]), fill(route, world["samples"])

    for value in CLASSICS:
        response = client.generic(
            "GET", path, QUERY_STRING=query(dict.fromkeys(QUERY_PARAMETERS, value))
        )
        assert response.status_code < 500, (path, value[:20])


@pytest.mark.parametrize(("who", "route"), PAGES)
@BOUNDED
@given(params=hostile_params(QUERY_PARAMETERS))
def test_no_page_answers_5xx_to_hostile_query_parameters(request, world, who, route, params):
    client, path = request.getfixturevalue(CLIENTS[who]), fill(route, world["samples"])

    response = client.generic("GET", path, QUERY_STRING=query(params))

    assert response.status_code < 500


@pytest.mark.parametrize("admin_list", ADMIN_LISTS, indirect=True)
def test_no_admin_list_answers_5xx_to_the_worst_values_in_every_parameter(
    superuser_client, admin_list
):
    url, names = admin_list

    for value in CLASSICS:
        response = superuser_client.generic(
            "GET", url, QUERY_STRING=query(dict.fromkeys(names, value))
        )
        assert response.status_code < 500, (url, value[:20])


@pytest.mark.parametrize("admin_list", ADMIN_LISTS, indirect=True)
@BOUNDED
@given(data=st.data())
def test_no_admin_list_answers_5xx_to_hostile_search_filters_and_paging(
    superuser_client, admin_list, data
) -> None:
    url, names = admin_list
    params = data.draw(hostile_params(names), label="params")

    response = superuser_client.generic("GET", url, QUERY_STRING=query(params))

    assert response.status_code < 500


@pytest.mark.parametrize("form", FORMS, indirect=True)
def test_no_form_answers_5xx_to_the_worst_values_in_every_field(form) -> None:
    client, url, names = form

    for value in CLASSICS:
        assert post(client, url, dict.fromkeys(names, value)).status_code < 500, value[:20]


@pytest.mark.parametrize("form", FORMS, indirect=True)
@settings(BOUNDED, max_examples=25)
@given(data=st.data())
def test_no_form_answers_5xx_to_hostile_fields(form, data) -> None:
    client, url, names = form
    fields = data.draw(hostile_params(names), label="fields")

    assert post(client, url, fields).status_code < 500


def test_the_hostile_input_tests_send_every_parameter_a_view_reads() -> None:
    read = re.compile(r"request\.(GET|POST)\.get\(\"(\w+)\"")
    used = {
        (kind, name)
        for views in [ROOT / "badges" / "views.py", *ROOT.glob("leaderboard/web/views/*.py")]
        for kind, name in read.findall(views.read_text())
    }

    sent = {("GET", n) for n in QUERY_PARAMETERS} | {
        ("POST", n) for names in FORM_PARAMETERS.values() for n in names
    }
    assert used - sent == set()
