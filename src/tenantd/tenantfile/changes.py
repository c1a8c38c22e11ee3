"""A planned change: the line that reports it, and how it runs against the directory in the apply's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..directory import Directory
from ..domain.model import Group
from ..store import Tx


@dataclass(frozen=True)
class GeneratedSecret:
    """A client secret apply generated: shown once to the caller, never stored in plain text."""

    application: str
    app_id: str
    key_id: str
    display_name: str
    secret_text: str = field(repr=False)


Run = Callable[[Directory, Tx], GeneratedSecret | None]


@dataclass(frozen=True)
class Change:
    text: str
    run: Run


def call(use_case: Callable[..., object], *args: Any, **kwargs: Any) -> Run:
    """A change that runs one directory use case (an unbound Directory method) with these arguments."""
    def run(directory: Directory, tx: Tx) -> None:
        use_case(directory, *args, **kwargs)
    return run


def update_group(group: Group) -> Run:
    def run(directory: Directory, tx: Tx) -> None:
        directory.update_group(group.tenant_id, group)
    return run


def new_secret(tenant_id: str, app_name: str, app_object_id: str, app_id: str, name: str,
               end: datetime | None) -> Run:
    def run(directory: Directory, tx: Tx) -> GeneratedSecret:
        cred, secret = directory.add_password(tenant_id, app_object_id, name, end=end)
        return GeneratedSecret(app_name, app_id, cred.key_id, name, secret)
    return run
