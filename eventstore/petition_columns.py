"""The columns of the petitions read model (table `petitions`), in table order: what the projection writes
and the store's append upserts. No logic: a module of its own so both can import it."""

COLUMNS = (
    "id", "version", "status", "category", "channel", "urgency", "description", "address", "grid_code",
    "reporter_name", "reporter_phone", "level", "unit_code", "unit_name", "overseer_code", "handled_units",
    "deadline_state", "accept_due", "warn_at", "resolve_due", "visit_due", "escalations", "returns", "reopens",
    "urges", "resolution", "close_outcome", "visit_outcome", "reported_at", "updated_at", "closed_at",
    "last_position", "confidential", "public_summary",  # migration 007
    "reported_by", "desk_code", "redispatch_due", "next_due", "visit_attempts",  # migration 009
    "delivery_pending_since", "pending_decision",
    "deadlines_provisional",  # migration 011
    "search_text",  # migration 010
    "latitude", "longitude", "media_urls",  # migration 012
    "duplicate_of",  # migration 013
    "follows",  # migration 014
    "survey_due", "visit_channel",  # migration 019
    "request_type", "anonymous", "triage", "triage_reason", "linked_callers", "on_the_spot",  # migration 021
    "compound", "company_callback", "company_callback_at",  # migration 022
    "visit_team",  # migration 024
    "burst", "burst_ends_at",  # migration 026 (issue 14 §5)
)
