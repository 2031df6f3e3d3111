"""What `invharness fuzz --seed` replays, made comparable: every request a run sends, hashed per phase with the
ids the target issued written as placeholders, so two runs against two targets can be compared."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis.core import NotSet

from invharness.fuzz_engine import Parents
from invharness.fuzz_links import linked_fields, role

__all__ = ["Transcript"]


class Transcript:
    """Every request the engine runs of one source send, in the order sent, as one digest per phase: the same
    --seed gives the same ones.

    Ids the target hands out (this run's parents, each answer's ``id`` and every answer field a link of the
    contract reads) are replaced by a placeholder that names what they are and in which order they were first
    answered (``<job 0>``, ``<event 5>``), so a replay against a fresh target -- which numbers its jobs anew, or
    draws other event ids -- shows the same list: what is compared is the sequence of requests, with "the id
    the target answered third" where an id was."""

    def __init__(self, parents: Parents | None) -> None:
        self._sha: dict[str, Any] = {}  # phase -> its running hash
        self.sent = 0
        self._ids: dict[tuple[str, str], str] = {}  # (job, batch or event; the id) -> its placeholder
        self._linked = linked_fields()
        if parents:
            for kind, value in (("job", parents.job_id), ("batch", parents.batch_id), ("event", parents.event_id)):
                self._learn(kind, value)

    @property
    def digests(self) -> dict[str, str]:
        return {phase: sha.hexdigest() for phase, sha in self._sha.items()}

    @contextlib.contextmanager
    def listening(self, schema: Any) -> Iterator[None]:
        """Hear every request of ``schema``'s run while in the block (schemathesis takes before_call and
        after_call hooks only globally, and only as functions)."""

        def before_call(context: Any, case: Any, kwargs: Any) -> None:
            if case.operation.schema is schema:
                self.before_call(context, case, kwargs)

        def after_call(context: Any, case: Any, response: Any) -> None:
            if case.operation.schema is schema:
                self.after_call(context, case, response)

        schemathesis.hook(before_call)
        schemathesis.hook(after_call)
        try:
            yield
        finally:
            schemathesis.hooks.unregister(before_call)
            schemathesis.hooks.unregister(after_call)

    def before_call(self, context: Any, case: Any, kwargs: Any) -> None:
        phase = str(case.meta.phase.name) if case.meta is not None else "other"
        self._sha.setdefault(phase, hashlib.sha256()).update(self.line(case).encode() + b"\n")
        self.sent += 1

    def line(self, case: Any) -> str:
        """The request as the digest sees it: operation, path parameters, query and body, ids as placeholders;
        nothing whose text depends on the process (a body not set is null, not an object's repr and address)."""

        def plain(values: dict[str, Any] | None) -> dict[str, Any]:
            return {k: self._ids.get((role(k), str(v)), v) for k, v in (values or {}).items()}

        body = None if isinstance(case.body, NotSet) else case.body
        if isinstance(body, bytes):
            body = {"bytes": body.hex()}
        line = [case.operation.label, case.method, plain(case.path_parameters), plain(case.query), body]
        return json.dumps(line, sort_keys=True, default=_unexpected)

    def after_call(self, context: Any, case: Any, response: Any) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict):
            label = case.operation.label
            for field, kind in {"id": role(label), **self._linked.get(label, {})}.items():
                self._learn(kind, body.get(field))

    def _learn(self, kind: str, value: Any) -> None:
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            self._ids.setdefault((kind, str(value)), f"<{kind} {len(self._ids)}>")


def _unexpected(value: Any) -> Any:
    raise TypeError(f"the transcript cannot hash a {type(value).__name__} the same way in every process")
