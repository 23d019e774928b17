"""The deterministic synthetic district and loading it into a store."""
