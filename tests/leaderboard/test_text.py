from __future__ import annotations

import pytest

from leaderboard.domain.text import clean_text


@pytest.mark.parametrize(
    "hostile",
    [
        "Ada\u200b Alvarez",  # zero-width space
        "Ada Alva\u200drez",  # zero-width joiner
        "\u202eAda Alvarez",  # right-to-left override
        "Ada \u2066Alvarez\u2069",  # isolate
        "\ufeffAda Alvarez",  # byte-order mark
        "Ada\x00 Alvarez",  # NUL
        "Ada\u2028Alvarez",  # line separator
        "  Ada \t\n Alvarez  ",
    ],
)
def test_look_alike_names_clean_to_the_plain_name(hostile: str) -> None:
    assert clean_text(hostile) in {"Ada Alvarez", "AdaAlvarez"}
    assert clean_text(hostile).replace(" ", "") == "AdaAlvarez"


def test_it_keeps_letters_of_every_script_and_cuts_to_a_length() -> None:
    assert clean_text("Zoë Ångström 山田 محمد") == "Zoë Ångström 山田 محمد"
    assert clean_text("x" * 300, max_length=200) == "x" * 200
    assert clean_text(None) == ""
