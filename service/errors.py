"""Errors as the service answers them: the CLI's diagnostics (codes, locations, messages) as JSON.

Service-only problems have codes of their own (S4xx/S5xx mirror the HTTP status); a bad fact
document keeps the CLI's F3xx codes, so one client can handle both the same way.
"""

from __future__ import annotations

from typing import Any

from asylum_kb import Diagnostic

BODY_NAME = "request body"


class ServiceError(Exception):
    """A request the service refuses, with the HTTP status to answer and the diagnostics to explain it."""

    def __init__(self, status: int, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.status = status
        self.diagnostics = diagnostics


def problem(status: int, code: str, message: str, hint: str | None = None, file: str | None = None) -> ServiceError:
    return ServiceError(status, [Diagnostic(code, message, file=file, hint=hint)])


def body(status: int, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The JSON of an error response (the Error schema of /openapi.json)."""
    return {"status": status, "errors": [d.as_dict() for d in diagnostics]}
