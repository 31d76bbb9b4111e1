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
