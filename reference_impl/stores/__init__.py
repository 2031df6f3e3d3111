"""Stores: the state of the server behind one Protocol per aggregate (protocols.py); the in-memory
implementations issue their own ids and hand out no internal index."""
