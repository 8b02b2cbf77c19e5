"""Use cases: one module per thing a caller asks jiehu to do, shared by the API, the CLI and the workers."""
