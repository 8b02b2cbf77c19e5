"""The REST API for cadres (FastAPI)."""
