"""Exponential backoff with jitter; the random draw is passed in so the math stays pure."""

from __future__ import annotations


def backoff_delay(attempt: int, draw: float, *, base_s: float = 0.5, cap_s: float = 30.0) -> float:
    """Delay before retry ``attempt`` (0-based): capped doubling, jittered to 50..100 %.

    Jitter keeps many clients (or many reconnecting streams) from retrying in lockstep.
    """
    ceiling = min(cap_s, base_s * (1 << min(max(attempt, 0), 30)))
    return ceiling * (0.5 + 0.5 * min(max(draw, 0.0), 1.0))
