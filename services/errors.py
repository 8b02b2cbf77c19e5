"""Why a use case refuses: domain error types with their stable `code`, mapped to HTTP in `api/errors.py`
by the domain error they extend (InvalidCommand 422, InvalidState 409, NotPermitted 403, NotFound 404)."""

from __future__ import annotations

from domain.errors import InvalidCommand, InvalidState, NotFound, NotPermitted


class UnknownCategory(InvalidCommand):
    """The category is not one of the org's (GET /v1/categories)."""

    code = "unknown_category"


class LocationRequired(InvalidCommand):
    """Neither a grid nor a point was given."""

    code = "location_required"


class LocationMismatch(InvalidCommand):
    """The point lies outside the grid named with it."""

    code = "location_mismatch"


class LocationOutsideGrids(InvalidCommand):
    """The point lies in no grid, or on the border of several."""

    code = "location_outside_grids"


class InvalidField(InvalidCommand):
    """A field of a report holds what should not be stored (`domain/text.py`: blank text, control
    characters, not a phone number, not an http(s) link). `field` is the intake's name for it and
    `problem` says why without naming it, so a channel can name the field as its clients call it."""

    code = "invalid_field"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}", field=field)
        self.problem = problem


class FieldTooLong(InvalidField):
    """A field holds more characters than `services.intake_command.LIMITS` allows (nothing is cut)."""

    code = "field_too_long"


class OutOfScope(NotPermitted):
    """The grid (or unit) is outside the caller's part of the org tree."""

    code = "out_of_scope"


class PetitionNotFound(NotFound):
    """No such petition, or none the caller may see (existence does not leak)."""

    code = "petition_not_found"


class FollowedPetitionOpen(InvalidState):
    """The petition a report follows is still open: urge it rather than report it again."""

    code = "followed_petition_open"


class FollowUpNotAllowed(InvalidState):
    """The policy in force has no window for following a closed petition."""

    code = "follow_up_not_allowed"


class FollowUpWindowPassed(InvalidState):
    """The petition a report follows closed longer ago than the policy's `reopen_after_close` window."""

    code = "follow_up_window_passed"


class IdempotencyKeyReused(InvalidState):
    """The Idempotency-Key was used before with a different request."""

    code = "idempotency_key_reused"


class ReportInProgress(InvalidState):
    """A report with this Idempotency-Key is still being started."""

    code = "report_in_progress"


class PetitionNotOpen(InvalidState):
    """The same matter links a caller to an open petition only; a closed one is reopened or followed."""

    code = "petition_not_open"
