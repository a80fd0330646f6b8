"""Drills and campaigns: scripted trouble with checked reactions."""
