"""Strict reading of provider JSON: every problem names where it is and what was expected."""

from __future__ import annotations

from typing import Any

from .http import ProviderDataError


class Reader:
    """Reads fields of one JSON object, naming its place (e.g. 'page 2, bucket 1, result 3')."""

    def __init__(self, obj: Any, where: str) -> None:
        if not isinstance(obj, dict):
            raise ProviderDataError(f"{where}: expected an object, got {type(obj).__name__}")
        self.obj = obj
        self.where = where

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.obj:
            if required:
                raise ProviderDataError(f"{self.where}: required field '{name}' is missing")
            return None
        return self.obj[name]

    def int(self, name: str, *, required: bool = True) -> int:
        value = self._get(name, required)
        if value is None and not required:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be a whole number, got {value!r}"
            )
        if value < 0:
            raise ProviderDataError(f"{self.where}: field '{name}' is negative ({value})")
        return value

    def str(self, name: str, *, required: bool = True, nullable: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None and (nullable or not required):
            return None
        if not isinstance(value, str):
            raise ProviderDataError(f"{self.where}: field '{name}' should be text, got {value!r}")
        return value

    def bool(self, name: str) -> bool:
        value = self._get(name, True)
        if not isinstance(value, bool):
            raise ProviderDataError(f"{self.where}: field '{name}' should be true or false")
        return value

    def list(self, name: str) -> list[Any]:
        value = self._get(name, True)
        if not isinstance(value, list):
            raise ProviderDataError(f"{self.where}: field '{name}' should be a list")
        return value
