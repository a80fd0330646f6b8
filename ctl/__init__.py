"""ptctl: the operator client for the peaktrade daemon."""
