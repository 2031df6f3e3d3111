"""``python -m invharness`` is the same as the ``invharness`` command."""

from invharness.cli import entry

entry()
