"""Events: the Event API's writes (sync and async) and reads, and what an event does when processed
(INVENTORY_DELTA applies its deltas; any other name matches no ruleset)."""

from __future__ import annotations

import asyncio
from typing import Any

from invharness.reference_impl.clock import Clock
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.access import Principal, require_found, require_retailer
from invharness.reference_impl.services.deltas import apply_deltas
from invharness.reference_impl.stores.events import AnyEvent, Event
from invharness.reference_impl.stores.protocols import EventStore, InventoryStore

__all__ = ["EventService"]


class EventService:
    """Records, processes, finds and searches events."""

    def __init__(self, store: EventStore, inventory: InventoryStore, config: ServerConfig, clock: Clock) -> None:
        self._store = store
        self._inventory = inventory
        self._config = config
        self._clock = clock

    @property
    def account_id(self) -> str:
        return self._config.account.account_id

    @property
    def async_id_field(self) -> str:
        """The field of the async answer that carries the event's id (event.async_id_field)."""
        return str(self._config.behaviours["event.async_id_field"])

    def post_event(self, principal: Principal, payload: Any, sync: bool) -> Event:
        """Validate and record an event; sync processes it now, async on the next loop turn."""
        validation.event_request(payload)
        retailer_id = int(payload["retailerId"]) if "retailerId" in payload else principal.user.retailer_id
        require_retailer(principal, retailer_id)  # before existence: no oracle of which retailers exist
        validation.known_retailer(retailer_id, self._config.account.retailers)
        event = self._store.append(
            payload["name"],
            self._clock.now(),
            retailer_id=retailer_id,
            entity_type=payload.get("entityType"),
            entity_ref=payload.get("entityRef"),
            entity_id=payload.get("entityId"),
            root_entity_type=payload.get("rootEntityType"),
            root_entity_ref=payload.get("rootEntityRef"),
            root_entity_id=payload.get("rootEntityId"),
            status="PENDING",
            category="API",
            generated_by=principal.username,
            attributes=payload.get("attributes"),
        )
        if sync:
            self.process(principal, event)
        else:
            asyncio.get_running_loop().call_soon(self.process, principal, event)
        return event

    def process(self, principal: Principal, event: Event) -> None:
        """Run the event's ruleset and record how it ended."""
        event.status, event.error_message = self._run_ruleset(principal, event)
        self._store.save(event)

    def _run_ruleset(self, principal: Principal, event: Event) -> tuple[str, str | None]:
        if event.name != "INVENTORY_DELTA":
            return "NO_MATCH", f"No ruleset matches event {event.name}"
        catalogue = self._inventory.catalogue(event.entity_ref or "")
        # another retailer's catalogue (of the event's retailer or the user's) fails like a missing one
        if (
            catalogue is None
            or catalogue.retailer_id != event.retailer_id
            or not principal.may_act_for(catalogue.retailer_id)
        ):
            return "FAILED", f"Inventory catalogue {event.entity_ref} not found"
        behaviours = self._config.behaviours
        outcome = apply_deltas(
            self._inventory,
            catalogue.ref,
            event.attributes["deltas"],
            self._clock.now(),
            per_delta=bool(behaviours["delta.iq_per_delta"]),
            idempotent=bool(behaviours["delta.idempotent_delta_id"]),
        )
        return outcome.status, outcome.error

    def event(self, principal: Principal, event_id: str) -> AnyEvent:
        foreign_status = self._config.behaviours["security.foreign_resource_status"]
        return require_found(principal, self._store.get(event_id), f"Event {event_id} not found", foreign_status)

    def event_id(self, event: AnyEvent) -> str:
        return self._store.event_id(event)

    def search(
        self, principal: Principal, filters: dict[str, str], since: float, until: float, start: int, count: int
    ) -> tuple[list[AnyEvent], bool]:
        """Newest first, the page of events the user may see that match every filter; and hasMore.

        The store reads only the events of the retailers the user may act for (and of none), by its
        retailer index: a user who can see nothing reads nothing, whatever the log holds."""
        user = principal.user
        retailers = None if user.account_admin else (user.retailer_id, None)
        return self._store.search(
            filters, since, until, start, count, lambda e: principal.may_act_for(e.retailer_id), retailers=retailers
        )
