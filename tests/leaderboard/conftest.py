from __future__ import annotations

import datetime as dt

import pytest
import time_machine

NOW = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)  # a Thursday; August is the current month
AUG = dt.date(2026, 8, 3)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield
