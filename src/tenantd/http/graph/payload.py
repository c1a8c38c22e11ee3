"""Reading Graph requests: JSON bodies (bounded, strict), their typed fields, and object ids in URLs."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from starlette.requests import Request

from ...domain.errors import BadRequest, GraphError
from ...domain.ids import is_assignment_id, is_guid
from ..bodies import BodyTooLarge, read_limited
from ..text import refuse_unstorable
from .odata import shown

_UNREADABLE = ("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of "
               "valid JSON format.")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate key")
        obj[key] = value
    return obj


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object (at most 64 KB, no duplicate keys, no NaN, no text the store cannot hold);
    Graph's 400 otherwise. Read once: a signed-in user's call may have read it to decide (http/graph/acts.py)."""
    read: dict[str, Any] | None = getattr(request.state, "json_body", None)
    if read is None:
        read = request.state.json_body = await _json_object(request)
    return read


async def _json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise BadRequest(_UNREADABLE, code="BadRequest")
    try:
        raw = await read_limited(request)
    except BodyTooLarge:
        raise GraphError("The request body is too large.", code="Request_EntityTooLarge", status=413) from None
    try:
        body = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except (ValueError, RecursionError):   # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadRequest(_UNREADABLE, code="BadRequest") from None
    if not isinstance(body, dict):
        raise BadRequest(_UNREADABLE, code="BadRequest")
    refuse_unstorable(body)
    return body


def only(body: dict[str, Any], allowed: Collection[str], type_name: str) -> None:
    """Refuse properties this endpoint does not take; ``@odata.type`` must name the endpoint's type."""
    for key, value in body.items():
        if key == "@odata.type":
            if not isinstance(value, str) or value.lstrip("#").lower() != type_name.lower():
                raise BadRequest(f"Invalid @odata.type '{shown(str(value))}': expected '#{type_name}'.")
        elif key not in allowed:
            raise BadRequest(f"Property '{shown(key)}' does not exist as a declared property or extension property.")


def required(body: dict[str, Any], key: str) -> Any:
    if key not in body or body[key] is None:
        raise BadRequest(f"Property '{key}' is required.")
    return body[key]


def string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"Invalid value specified for property '{key}': a string is required.")
    return value


def optional_string(value: Any, key: str) -> str | None:
    return None if value is None else string(value, key)


def boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid value specified for property '{key}': a boolean is required.")
    return value


def guid(value: Any, key: str) -> str:
    if not is_guid(value):
        raise BadRequest(f"Invalid value specified for property '{key}': "
                         f"'{shown(str(value))}' is not a valid GUID.")
    return str(value).lower()


def object_id(text: str) -> str:
    """An object id from the URL: a GUID, lower-cased; 400 as Graph answers a malformed one."""
    if not is_guid(text):
        raise BadRequest(f"Invalid object identifier '{shown(text)}'.")
    return text.lower()


def user_key(text: str) -> str:
    """A user as the URL names it: an object id or a userPrincipalName."""
    if is_guid(text):
        return text.lower()
    if "@" in text:
        return text
    raise BadRequest(f"Invalid object identifier '{shown(text)}'.")


def assignment_id(text: str) -> str:
    if not is_assignment_id(text):
        raise BadRequest(f"Invalid object identifier '{shown(text)}'.")
    return text
