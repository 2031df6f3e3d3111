"""The in-process reference server (ASGI): transport -> services -> stores (see ARCHITECTURE.md).
It validates every request with contracts/ and imports nothing else of ours."""
