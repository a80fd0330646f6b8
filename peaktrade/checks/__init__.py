"""Check presets (pre-open, end-of-day) and when the daemon runs them on its own."""
