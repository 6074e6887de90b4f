"""JSON values as Python code builds them: chart figures, audit details, task arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Sequence and Mapping, not list and dict: those are invariant, so a list[str] would not be a
# list[JSON] although it is JSON as it stands.
type JSON = str | int | float | bool | Sequence[JSON] | Mapping[str, JSON] | None
