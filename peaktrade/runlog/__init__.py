"""The run log: run metadata, typed events, their store and JSONL writer."""
