"""Domain errors.  Raised in casework/, mapped once to HTTP answers and CLI messages outside it.

Each carries a stable ``code`` (the JSON ``error`` of the API) and a human sentence.
"""

from __future__ import annotations


class CaseworkError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict:
        """Extra members of the JSON error body."""
        return {}


class Invalid(CaseworkError):
    """Input that fails validation; ``fields`` maps each bad field to what is wrong with it, and
    ``allowed`` a field with a fixed vocabulary to the values it takes (for programs; people
    read them in ``fields``)."""

    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str | None = None, *,
                 allowed: dict[str, list[str]] | None = None) -> None:
        self.fields = dict(fields)
        self.allowed = {name: list(values) for name, values in (allowed or {}).items()}
        if message is None:
            message = "; ".join(f"{name}: {why}" for name, why in self.fields.items())
        super().__init__(message)

    def details(self) -> dict:
        return {"fields": self.fields, **({"allowed": self.allowed} if self.allowed else {})}


class TooLarge(Invalid):
    """Input over a size limit (an attachment over 20 MB): HTTP 413, with the field named."""

    code = "too_large"


class NotFound(CaseworkError):
    """Missing, or outside the user's area: the two look the same so that a case's existence
    does not leak to people who may not see it."""

    code = "not_found"


class OutsideJurisdiction(NotFound):
    pass


class Forbidden(CaseworkError):
    code = "forbidden"


class IllegalTransition(CaseworkError):
    code = "illegal_transition"

    def __init__(self, message: str, *, allowed_actions: list[str], version: int) -> None:
        super().__init__(message)
        self.allowed_actions = allowed_actions
        self.version = version

    def details(self) -> dict:
        return {"allowed_actions": self.allowed_actions, "version": self.version}


class StaleVersion(CaseworkError):
    code = "stale_version"

    def __init__(self, message: str, *, version: int, allowed_actions: list[str]) -> None:
        super().__init__(message)
        self.version = version
        self.allowed_actions = allowed_actions

    def details(self) -> dict:
        return {"version": self.version, "allowed_actions": self.allowed_actions}


class WorkflowError(CaseworkError):
    """A broken workflows.yaml; the message names the file line and the offending name."""

    code = "workflow_error"

    def __init__(self, message: str, *, line: int | None = None, source: str = "workflows.yaml"):
        where = f"{source} line {line}: " if line else f"{source}: "
        super().__init__(where + message)
        self.line = line


class PartitionRefused(CaseworkError):
    """The events table cannot be partitioned here (SQLite, or something the conversion would
    lose); the message says why, and nothing was changed."""

    code = "partition_refused"


class AlreadyPartitioned(PartitionRefused):
    """A second conversion: the table is partitioned already."""
