"""make bench runs outside the suite: this keeps its imports and options from rotting."""

import pytest
from django.core.management import call_command

from tests.bench import run
from tests.bench.detection import detection_figures


def test_bench_imports_its_measurements_and_parses_its_options(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        run.main(["--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    assert "python -m tests.bench" in usage
    assert "--scale {quick,full}" in usage
    assert "--skip-seed" in usage
    assert "--output" in usage


def test_gaming_detection_finds_every_planted_day_and_few_others_on_the_scale_data(db) -> None:
    """The bench's detection figures on seed_scale data at a small size (issue 20 §2): every
    planted burner and loop day is flagged, under 1% of the other person-days are."""
    call_command("seed_scale", people=300, days=40, seed=5)

    figures = detection_figures(people=300)

    assert figures["gaming_planted_days"] == 63  # 15 people: 1 + 3 + 8 + 8 + 1 days a shape, x3
    assert figures["gaming_recall"] == 1.0
    assert figures["gaming_normal_flagged_share"] < 0.01
