"""Broken reference servers for retailer isolation (group security, clauses SEC-ISO-*): at least one per
clause, each the plausible bug an implementer would make (and the ones issue 15 found). The checks
citing the clause, run against the mutant, must fail on it (tests/suites/test_mutants_security.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import access, deltas, feeds, jobs
from invharness.reference_impl.services import batches as batch_services
from invharness.reference_impl.services import settings as setting_services
from invharness.reference_impl.services.events import EventService
from invharness.reference_impl.services.inventory import InventoryService
from tests.suites.mutants import Mutant, playing

__all__ = ["SECURITY_MUTANTS"]

MP = pytest.MonkeyPatch


def _as_admin(principal: access.Principal) -> access.Principal:
    """The same user with the whole account's rights: what a lookup that forgets the user amounts to."""
    return access.Principal(dataclasses.replace(principal.user, account_admin=True))


def _batch_catalogue_unchecked(mp: MP) -> None:
    # issue 15: the batch's catalogueRef taken as given; processing hands back the catalogue whoever owns it
    mp.setattr(batch_services, "require_batch_catalogue", lambda *_args: None)


def _first_writer_owns(mp: MP) -> None:
    # a ref naming no retailer is one account-wide name: whoever writes first creates it, anyone writes on
    original = access.require_batch_catalogue

    def check(job_retailer: int, ref: str, recorded: int | None) -> None:
        if access.catalogue_retailer(ref) is not None:
            original(job_retailer, ref, recorded)

    mp.setattr(batch_services, "require_batch_catalogue", check)


def _unsuffixed_refs_taken(mp: MP) -> None:
    # a ref naming no retailer is taken as the job's retailer's (the owner recorded, so no squatting)
    original = access.require_batch_catalogue

    def check(job_retailer: int, ref: str, recorded: int | None) -> None:
        if recorded is not None or access.catalogue_retailer(ref) is not None:
            original(job_retailer, ref, recorded)

    mp.setattr(batch_services, "require_batch_catalogue", check)


def _delta_into_any_catalogue(mp: MP) -> None:
    original = EventService.process

    def process(self: Any, principal: Any, event: Any) -> None:
        catalogue = self._inventory.catalogue(event.entity_ref or "")
        if event.name != "INVENTORY_DELTA" or catalogue is None:
            return original(self, principal, event)
        outcome = deltas.apply_deltas(self._inventory, catalogue.ref, event.attributes["deltas"], self._clock.now())
        event.status, event.error_message = outcome.status, outcome.error
        return None

    mp.setattr(EventService, "process", process)


def _update_quantity_of_any_retailer(mp: MP) -> None:
    original = InventoryService.update_quantity
    mp.setattr(InventoryService, "update_quantity", lambda self, p, data: original(self, _as_admin(p), data))


def _position_of_any_retailer(mp: MP) -> None:
    original = InventoryService.position
    mp.setattr(InventoryService, "position", lambda self, p, cat, ref: original(self, _as_admin(p), cat, ref))


def _settings_query_unfiltered(mp: MP) -> None:
    # issue 15: resolve_settings answered every setting of the account to every user
    mp.setattr(setting_services.SettingsService, "search", lambda self, _principal, **f: self._store.search(**f))


def _account_settings_shown_to_all(mp: MP) -> None:
    original = access.may_read_setting

    def may_read(principal: Any, context: str, context_id: int) -> bool:
        return context != "RETAILER" or original(principal, context, context_id)

    mp.setattr(setting_services, "may_read_setting", may_read)


def _hidden_job_named_in_its_404(mp: MP) -> None:
    # 404 as for a missing job, but the message says whose it is: an existence oracle all the same
    def job(self: Any, principal: Any, job_id: str) -> Any:
        found = self._store.job(job_id)
        if found is None:
            raise ApiError.not_found(f"Job {job_id} not found")
        if not principal.may_act_for(found.retailer_id):
            raise ApiError.not_found(f"Job {job_id} not found for retailer {principal.user.retailer_id}")
        return found

    mp.setattr(jobs.JobService, "job", job)


def _quantity_refusal_names_the_owner(mp: MP) -> None:
    # createInventoryQuantity refuses another retailer's catalogue with 403, a missing one with 400
    original = InventoryService.create_quantity

    def create(self: Any, principal: Any, data: Any) -> Any:
        found = self._store.catalogue(data["catalogue"]["ref"])
        if found is not None and not principal.may_act_for(found.retailer_id):
            raise ApiError.forbidden(f"User {principal.username} may not act for retailer {found.retailer_id}")
        return original(self, principal, data)

    mp.setattr(InventoryService, "create_quantity", create)


def _feeds_readable_by_all(mp: MP) -> None:
    mp.setattr(feeds.FeedService, "find", lambda self, _principal, ref: self._store.feed(ref))


SECURITY_MUTANTS = [
    Mutant("batch catalogueRef unchecked", "security", "SEC-ISO-01", _batch_catalogue_unchecked),
    Mutant("INVENTORY_DELTA applied to any retailer's catalogue", "security", "SEC-ISO-02", _delta_into_any_catalogue),
    Mutant(
        "updateInventoryQuantity finds any retailer's quantity",
        "security",
        "SEC-ISO-03",
        _update_quantity_of_any_retailer,
    ),
    Mutant("inventoryPosition answers any retailer's position", "security", "SEC-ISO-04", _position_of_any_retailer),
    Mutant("settings query unfiltered", "security", "SEC-ISO-04", _settings_query_unfiltered),
    Mutant("ACCOUNT settings shown to every user", "security", "SEC-ISO-05", _account_settings_shown_to_all),
    # issue 15: "may not act for retailer 1" (403) for another retailer's job: the other allowed answer
    playing("403 for another retailer's job", "security", "SEC-ISO-06", security__foreign_resource_status=403),
    Mutant("another retailer's job named in its 404", "security", "SEC-ISO-07", _hidden_job_named_in_its_404),
    Mutant(
        "createInventoryQuantity refuses another retailer's catalogue with 403",
        "security",
        "SEC-ISO-07",
        _quantity_refusal_names_the_owner,
    ),
    Mutant("first writer owns a catalogue whose ref names no retailer", "security", "SEC-ISO-08", _first_writer_owns),
    Mutant("catalogue refs naming no retailer taken", "security", "SEC-ISO-09", _unsuffixed_refs_taken),
    Mutant("inventory feeds readable by every user", "security", "SEC-ISO-10", _feeds_readable_by_all),
]
