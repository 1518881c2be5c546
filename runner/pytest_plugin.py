"""pytest plugin (filled in by the runner core)."""
