"""The contract between the engine and its front-ends: events, run control, progress, status."""
