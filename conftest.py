"""The composition root: the one place that may wire reference_impl into the suites.

With no --target-url it will start the reference server in-process on a loopback port (once the
server exists); fixtures themselves live in plugin modules, not here.
"""
