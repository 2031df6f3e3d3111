"""Settings (GraphQL createSetting / updateSetting / settings) and the pre-processing switch they hold."""

from __future__ import annotations

from typing import Any

from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, may_read_setting, require_setting_context
from invharness.reference_impl.stores.protocols import SettingsStore
from invharness.reference_impl.stores.settings import Setting

__all__ = ["BPP_SETTING", "SettingsService", "parse_bool"]

BPP_SETTING = "fc.enable.batch.preprocessing"


def parse_bool(value: str | None, case_insensitive: bool = True) -> bool | None:
    """TRUE/true -> True, FALSE/false -> False (decision 9; bpp.setting_case_insensitive false: only
    TRUE and FALSE); anything else is no answer."""
    stripped = (value or "").strip()
    return {"TRUE": True, "FALSE": False}.get(stripped.upper() if case_insensitive else stripped)


class SettingsService:
    """Reads and writes settings with the contract's checks and the user's rights."""

    def __init__(self, store: SettingsStore, case_insensitive: bool = True) -> None:
        self._store = store
        self._case_insensitive = case_insensitive  # bpp.setting_case_insensitive

    def search(self, principal: Principal, **filters: list[Any] | None) -> list[Setting]:
        """The settings matching the filters that the user may read (never another retailer's, nor
        ACCOUNT settings for a retailer's user)."""
        return [s for s in self._store.search(**filters) if may_read_setting(principal, s.context, s.context_id)]

    def create(self, principal: Principal, data: dict[str, Any]) -> Setting:
        """A new setting from its fields (camelCase); 409 when its (name, context, contextId) is taken."""
        _check(principal, data)
        return self._store.create(
            data["name"], data["valueType"], data.get("value"), data.get("lobValue"), data["context"], data["contextId"]
        )

    def update(self, principal: Principal, changes: dict[str, Any]) -> Setting:
        """Change the setting ``changes["id"]``: fields not given (or null) keep their value."""
        setting_id = validation.decimal_id(changes.get("id"))
        existing = self._store.get(setting_id) if setting_id is not None else None
        if existing is None or not may_read_setting(principal, existing.context, existing.context_id):
            # a setting the user may not see is a missing one: no existence oracle
            raise ApiError.not_found(f"no setting with id {str(changes.get('id'))[:40]!r}", graphql_code="S0001E")
        current = {
            "name": existing.name,
            "valueType": existing.value_type,
            "value": existing.value,
            "lobValue": existing.lob_value,
            "context": existing.context,
            "contextId": existing.context_id,
        }
        data = {**current, **{k: v for k, v in changes.items() if v is not None and k != "id"}}
        _check(principal, data)
        return self._store.update(
            existing.id,
            name=data["name"],
            value_type=data["valueType"],
            value=data.get("value"),
            lob_value=data.get("lobValue"),
            context=data["context"],
            context_id=data["contextId"],
        )

    def lookup(self, name: str, context: str, context_id: int) -> Setting | None:
        return self._store.lookup(name, context, context_id)

    def preprocessing(self, retailer_id: int) -> bool | None:
        """The effective fc.enable.batch.preprocessing: RETAILER over ACCOUNT; None when neither answers."""
        for context, context_id in (("RETAILER", retailer_id), ("ACCOUNT", 0)):
            setting = self._store.lookup(BPP_SETTING, context, context_id)
            answer = parse_bool(setting.value, self._case_insensitive) if setting is not None else None
            if answer is not None:
                return answer
        return None


def _check(principal: Principal, data: dict[str, Any]) -> None:
    validation.setting_input(data)
    require_setting_context(principal, data["context"], data["contextId"])
