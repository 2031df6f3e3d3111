"""Transport: the ASGI app, REST handlers and the GraphQL schema. They parse, authenticate, call a
service and serialise; they never import a store (tests/test_layering.py)."""
