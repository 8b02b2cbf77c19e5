"""Temporal workflows: one PetitionWorkflow per petition (workflow id = petition id)."""
