"""Conformance suites: pytest tests, each tagged with the clause it proves, that judge any target
URL over HTTP. Never imports reference_impl/."""
