"""Stages: shadow -> paper -> testnet -> live, promotion checks, switching in the running daemon.

See docs/STAGES.md for the operator's view.
"""
