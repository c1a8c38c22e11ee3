"""The bounds of a query and the errors that refuse one, in Graph's shape."""

from __future__ import annotations

from typing import Literal

from ....domain.errors import BadRequest

MAX_FILTER_LENGTH = 2048
MAX_DEPTH = 16
MAX_TOP = 999
DEFAULT_PAGE_SIZE = 100
MAX_QUERY_OPTIONS = 16

Kind = Literal["string", "guid", "bool", "strings"]
"""Property kinds a filter can test: text, object ids, booleans, and collections of text."""


def syntax_error(message: str) -> BadRequest:
    return BadRequest(f"Invalid filter clause: {message}", code="BadRequest")


def unsupported(message: str) -> BadRequest:
    return BadRequest(message, code="Request_UnsupportedQuery")


def shown(text: str, limit: int = 100) -> str:
    """User input as it may appear in an error message: bounded."""
    return text if len(text) <= limit else text[:limit] + "..."
