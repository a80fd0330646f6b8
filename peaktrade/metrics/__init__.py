"""Prometheus metrics: a registry of our own, filled from the daemon's hooks and on scrape."""
