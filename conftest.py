"""The composition root of our own tests: the suites' plugin, and the embedded reference server as
the target when no --target-url is given (invharness.pytest_embedded starts it, with a local S3
for its feeds, for the whole session, the first time a check asks for it).

Installed, both plugins are also registered through the ``pytest11`` entry point under their module
names, so listing them here does not register them twice; the list keeps our tests working where
plugin autoloading is off (PYTEST_DISABLE_PLUGIN_AUTOLOAD).
"""

from __future__ import annotations

pytest_plugins = ["invharness.suites.plugin", "invharness.pytest_embedded"]
