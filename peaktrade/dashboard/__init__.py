"""The read-only dashboard: an aiohttp app with a live (SSE) view of the daemon."""
