"""The in-process reference server (ASGI): auth, jobs, batches with pre-processing, deltas,
settings, inventory queries and feeds. It validates every request with contracts/ and imports
nothing else of ours."""
