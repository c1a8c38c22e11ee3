"""CLI errors: one line for the user, a non-zero exit code."""

from __future__ import annotations


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
