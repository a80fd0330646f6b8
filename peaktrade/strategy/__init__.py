"""Strategies: small objects fed quotes, bars and fills that decide target positions or orders.

Decisions are pure (no clock, no I/O): the daemon's strategy runner builds the context, asks,
and sends what comes back through the one order path.
"""
