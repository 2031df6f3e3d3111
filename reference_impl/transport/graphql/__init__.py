"""The GraphQL transport, one module per area (me, settings, inventory, virtual, feeds) and the
schema that binds them (schema.py)."""
