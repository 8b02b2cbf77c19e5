"""Domain errors: each type says what went wrong; the API maps them to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A command that the petition's rules reject. `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the input field at fault, when there is one (the API names it)


class InvalidCommand(DomainError):
    """The command itself is malformed or breaks a policy limit (HTTP 422)."""

    code = "invalid_command"


class InvalidState(DomainError):
    """The command is fine but the petition is not in a state that allows it (HTTP 409)."""

    code = "invalid_state"


class AlreadyReported(InvalidState):
    """The petition already exists (a retried report); callers return the existing one."""

    code = "already_reported"


class NotPermitted(DomainError):
    """The actor's unit or role may not issue this command on this petition (HTTP 403)."""

    code = "not_permitted"


class NotFound(DomainError):
    """The thing the command is about does not exist (HTTP 404)."""

    code = "not_found"


class StreamConflict(Exception):
    """Another writer appended to the stream first: the expected version no longer holds."""

    code = "stream_conflict"


ERROR_TYPES: dict[str, type[DomainError]] = {
    cls.__name__: cls for cls in (DomainError, InvalidCommand, InvalidState, AlreadyReported, NotPermitted, NotFound)
}
