"""Seeded generators of realistic segmented inventory and of every contract payload, valid and
invalid. Imports only contracts/."""
