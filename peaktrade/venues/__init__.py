"""venues."""
