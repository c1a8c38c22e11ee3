"""JSON Schema building blocks of the OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Schema = dict[str, Any]

GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


# -- JSON Schema building blocks -------------------------------------------------------------------------
def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if "$ref" in schema or "const" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    either = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        either["enum"] = [*schema["enum"], None]
    return either


def array(items: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": items, **more}


def obj(properties: Mapping[str, Schema], *, required: tuple[str, ...] = (), closed: bool = True,
        annotations: bool = False, description: str | None = None) -> Schema:
    """An object schema; ``closed`` ones refuse unlisted properties (but ``@odata.*`` ones with ``annotations``)."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = list(required)
    if annotations:
        schema["patternProperties"] = {"^@odata\\.": {}}
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING: Schema = {"type": "string"}
TEXT: Schema = nullable(STRING)
BOOL: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
GUID: Schema = {"type": "string", "pattern": GUID_PATTERN, "description": "An object id (GUID)."}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
NULL: Schema = {"type": "null"}
STRINGS: Schema = array(STRING)
EMPTY_LIST: Schema = array({}, maxItems=0)
NON_BLANK: Schema = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "\\S"}


def odata_type(type_name: str) -> Schema:
    return {"type": "string", "enum": [f"#{type_name}", type_name], "description": "Optional; names the type."}
