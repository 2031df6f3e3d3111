"""Settings, unique by (name, context, contextId)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from invharness.reference_impl.errors import ApiError

__all__ = ["ConstraintViolation", "InMemorySettingsStore", "Setting"]


class ConstraintViolation(ApiError):
    """A second setting with the same name, context and contextId."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


@dataclass(slots=True)
class Setting:
    """A configuration value in a context."""

    id: int
    name: str
    value_type: str
    value: str | None
    lob_value: Any
    context: str
    context_id: int


class InMemorySettingsStore:
    """Settings, unique by (name, context, contextId); ids issued here (the SettingsStore in memory)."""

    def __init__(self) -> None:
        self._by_id: dict[int, Setting] = {}
        self._by_key: dict[tuple[str, str, int], Setting] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(
        self, name: str, value_type: str, value: str | None, lob_value: Any, context: str, context_id: int
    ) -> Setting:
        key = (name, context, context_id)
        with self._lock:
            if key in self._by_key:
                raise ConstraintViolation(
                    f"ConstraintViolationException: a setting {name} already exists in {context} {context_id}"
                )
            setting = Setting(next(self._ids), name, value_type, value, lob_value, context, context_id)
            self._by_id[setting.id] = self._by_key[key] = setting
        return setting

    def update(self, setting_id: int, **changes: Any) -> Setting:
        """Change a setting found by id; KeyError if none; ConstraintViolation on a key clash."""
        with self._lock:
            setting = self._by_id[setting_id]
            new_key = (
                changes.get("name") or setting.name,
                changes.get("context", setting.context),
                changes.get("context_id", setting.context_id),
            )
            old_key = (setting.name, setting.context, setting.context_id)
            if new_key != old_key and new_key in self._by_key:
                raise ConstraintViolation(f"ConstraintViolationException: a setting {new_key[0]} already exists")
            for name, value in changes.items():
                if value is not None or name in ("value", "lob_value"):
                    setattr(setting, name, value)
            del self._by_key[old_key]
            self._by_key[(setting.name, setting.context, setting.context_id)] = setting
        return setting

    def get(self, setting_id: int) -> Setting | None:
        return self._by_id.get(setting_id)

    def search(self, **filters: list[Any] | None) -> list[Setting]:
        """Settings whose fields equal one of the given values, for every filter given."""
        found = list(self._by_id.values())
        for name, accepted in filters.items():
            if accepted is not None:
                found = [s for s in found if getattr(s, name) in accepted]
        return found

    def lookup(self, name: str, context: str, context_id: int) -> Setting | None:
        return self._by_key.get((name, context, context_id))
