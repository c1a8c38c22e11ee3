"""The operations of the OpenAPI document: what one method on one path does, who may call it, what it takes
and what it answers; and the shapes most operations share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it does, who may call it, what it takes and what it answers."""

    summary: str
    tag: str
    permissions: tuple[str, ...]
    status: int = 200                 # on success
    result: str | None = None         # the success body: a resource name, "[resource]" for a collection
    body: str | None = None           # the request body's schema (a REQUEST_BODIES name)
    query: str | None = None          # "collection" or "entity": the OData options it takes
    conflicts: bool = False           # may answer 409
    extra_statuses: tuple[int, ...] = ()
    delegated_only: bool = False      # a signed-in user's call (``/me``): an app-only token gets 400


Paths = dict[str, dict[str, Operation]]


def get(tag: str, resource: str, permissions: tuple[str, ...], what: str) -> Operation:
    return Operation(f"Get {what}", tag, permissions, result=resource, query="entity")


def list_(tag: str, resource: str, permissions: tuple[str, ...], what: str) -> Operation:
    return Operation(f"List {what}", tag, permissions, result=f"[{resource}]", query="collection")


def create(tag: str, resource: str, body: str, permissions: tuple[str, ...], what: str, *,
           conflicts: bool = False) -> Operation:
    return Operation(f"Create {what}", tag, permissions, 201, resource, body, conflicts=conflicts)


def no_content(summary: str, tag: str, permissions: tuple[str, ...], body: str | None = None) -> Operation:
    return Operation(summary, tag, permissions, 204, body=body)
