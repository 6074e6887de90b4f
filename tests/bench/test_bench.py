"""make bench runs outside the suite: this keeps its imports and options from rotting."""

import pytest

from tests.bench import run


def test_bench_imports_its_measurements_and_parses_its_options(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        run.main(["--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    assert "python -m tests.bench" in usage
    assert "--scale {quick,full}" in usage
    assert "--skip-seed" in usage
    assert "--output" in usage
