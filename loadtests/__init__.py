"""Locust scenarios for load-testing inventory ingestion over HTTP. Never imports
reference_impl/."""
