"""When a sink may be called next: a token bucket, server Retry-After pauses, retry backoff.

Plain arithmetic with time passed in; the sink lane does the waiting.
"""

from __future__ import annotations

import random

from peaktrade.alerts.config import RetryConfig


class TokenBucket:
    """``rate_per_min`` calls a minute on average, up to ``burst`` back to back; 0 = no limit."""

    def __init__(self, rate_per_min: float, burst: int, now_s: float) -> None:
        self.rate_per_s = rate_per_min / 60.0
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated_s = now_s
        self.paused_until_s = 0.0

    def _refill(self, now_s: float) -> None:
        if now_s > self.updated_s:
            self.tokens = min(self.burst, self.tokens + (now_s - self.updated_s) * self.rate_per_s)
            self.updated_s = now_s

    def wait_s(self, now_s: float) -> float:
        """How long until a call is allowed (0 = now)."""
        pause = max(0.0, self.paused_until_s - now_s)
        if self.rate_per_s <= 0:
            return pause
        self._refill(now_s)
        need = 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate_per_s
        return max(pause, need)

    def take(self, now_s: float) -> None:
        """Spend one call (after ``wait_s`` returned 0)."""
        if self.rate_per_s > 0:
            self._refill(now_s)
            self.tokens = max(0.0, self.tokens - 1.0)

    def pause(self, seconds: float, now_s: float) -> None:
        """Honour a server's Retry-After: no call before ``now_s + seconds``."""
        self.paused_until_s = max(self.paused_until_s, now_s + seconds)


def backoff_s(policy: RetryConfig, failures: int, rng: random.Random) -> float:
    """Delay after the ``failures``-th consecutive failure: doubling, capped, partly random."""
    delay = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** max(0, failures - 1))
    return delay * (1.0 - policy.jitter * rng.random())
