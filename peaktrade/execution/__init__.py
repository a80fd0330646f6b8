"""Execution: the one order path from intent to venue, and what keeps the journal true."""
