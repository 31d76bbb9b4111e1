"""Typed errors raised by the data layer; the API maps each to one HTTP status in one place."""


class PlanviewError(Exception):
    """Base of all errors a user can cause."""


class NotFound(PlanviewError):
    """The thing asked for does not exist (404)."""


class InvalidParameter(PlanviewError):
    """A parameter is malformed or out of range (400)."""


class Conflict(PlanviewError):
    """The request contradicts the current state (409)."""


class PayloadTooLarge(PlanviewError):
    """The request body is larger than allowed (413)."""


class Unprocessable(PlanviewError):
    """Well-formed but unusable input, e.g. an invalid geometry (422)."""


class Unauthenticated(PlanviewError):
    """The request needs a logged-in user (401)."""


class Forbidden(PlanviewError):
    """The actor lacks the role or scope for this (403); the message names what is missing."""


class PreconditionRequired(PlanviewError):
    """A write must name the version it read (428)."""


class PreconditionFailed(PlanviewError):
    """The record changed since the caller read it (412); ``current`` is the record as it is now."""

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current


class TooManyRequests(PlanviewError):
    """Too many attempts; retry after ``retry_after`` seconds (429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(PlanviewError):
    """The database cannot be reached; retry after ``retry_after`` seconds (503)."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


class GatewayTimeout(PlanviewError):
    """A renderer the request depends on (e.g. the PDF printer) did not finish in time (504)."""
