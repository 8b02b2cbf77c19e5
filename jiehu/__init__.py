"""jiehu's CLI, configuration and composition roots (one per process)."""
