"""The simulator fixtures of the execution tests, shared here."""

from tests.execution.conftest import events, sim, start_sim

__all__ = ["events", "sim", "start_sim"]
