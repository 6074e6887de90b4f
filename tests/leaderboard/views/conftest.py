"""The worlds the page tests look at: the personas' August with a teammate, and usage from a
source that reports no requests (a pseudonymous leader, quiet, is in ../conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from leaderboard.models import Person
from tests.factories import PersonFactory
from tests.helpers import AUG


@pytest.fixture
def teammate(platform) -> Person:
    """Carol: on the employee's and the rival's team."""
    return PersonFactory(display_name="Carol Diaz", team=platform)


@pytest.fixture
def field(usage, employee, rival, teammate, outsider) -> None:
    """August, each with a different strength: the employee, the rival and the teammate on
    Platform, the outsider on Payments."""
    usage(employee, AUG, input=4_000, cache_read=1_000, output=500, requests=10, cost="1.00")
    usage(rival, AUG, input=200_000, cache_read=1_800_000, output=100, requests=2, cost="9.00")
    usage(rival, AUG + dt.timedelta(days=1), input=1, requests=1)
    usage(teammate, AUG, input=1_000, output=5_500, requests=1, cost="0.10")
    usage(outsider, AUG, input=1_000, output=5_500, requests=1, cost="0.10")


@pytest.fixture
def viewer(employee_client, employee, rival, usage):
    """The employee, signed in, ranked just behind the rival."""
    usage(employee, AUG, input=10)
    usage(rival, AUG, input=20)
    return employee_client


@pytest.fixture
def mixed(usage, employee, rival, claude_code) -> None:
    """The employee on OpenAI (requests reported) and Claude Code; the rival on Claude Code
    only."""
    usage(employee, AUG, input=1_000, output=100, requests=7)
    usage(employee, AUG, source=claude_code, model="claude-opus-5", input=5_000, output=900)
    usage(rival, AUG, source=claude_code, model="claude-opus-5", input=90_000, output=9_000)
