"""The run store: one folder per run, its id, listing and history."""
