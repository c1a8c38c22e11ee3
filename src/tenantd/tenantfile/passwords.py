"""Users' passwords in a tenant file: only references, ``{env: NAME}`` or ``{file: PATH}``.

A reference is resolved where the file is read (``tenantd apply``, ``tenantd.testing``): the environment
and the files are those of whoever applies the file, and PATH is relative to the tenant file. The server
resolves none: it takes the values that came with the request, so a tenant file cannot make the server
read its own environment or files. No message here ever holds a value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FsPath

from ..domain.passwords import MAX_LENGTH
from .document import Document, Path
from .errors import TenantFileError

_MAX_FILE_BYTES = 4 * MAX_LENGTH + 2   # UTF-8 and a line break: anything longer is not a password


def resolve_passwords(doc: Document, base: FsPath, environ: Mapping[str, str] | None = None) -> Document:
    """``doc`` with the value of every user's password reference; TenantFileError naming each one missing."""
    env = os.environ if environ is None else environ
    values: dict[Path, str] = {}
    problems: list[str] = []
    for i, user in enumerate(doc.data.get("users") or []):
        ref = user.get("password")
        if ref is None:
            continue
        path: Path = ("users", i)
        if "env" in ref:
            value = env.get(ref["env"])
            if not value:
                problems.append(doc.problem((*path, "password", "env"), f"the environment variable {ref['env']} "
                                            f"{'is empty' if value == '' else 'is not set'}"))
                continue
        else:
            read = _read_file(base / ref["file"])
            if isinstance(read, _Unreadable):
                problems.append(doc.problem((*path, "password", "file"), read.reason))
                continue
            value = read
        values[path] = value
    if problems:
        raise TenantFileError(problems)
    return Document(doc.data, doc.source, doc.lines, values)


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _read_file(path: FsPath) -> str | _Unreadable:
    try:
        with path.open("rb") as f:
            raw = f.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _Unreadable(f"cannot read the password file {path}: {exc.strerror or type(exc).__name__}")
    if len(raw) > _MAX_FILE_BYTES:
        return _Unreadable(f"the password file {path} is too long to hold a password")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _Unreadable(f"the password file {path} is not UTF-8 text")
    text = text.removesuffix("\n").removesuffix("\r")
    return text or _Unreadable(f"the password file {path} is empty")


def passwords_from_json(doc: Document, raw: object) -> Document:
    """``doc`` with the values an apply request carried (``passwords`` of ``Document.request_body``):
    one string for each user whose entry has a password reference, and no other."""
    values: dict[Path, str] = {}
    if isinstance(raw, list):
        for entry in raw[:100_000]:
            if (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str)
                    and entry[0] and isinstance(entry[0], list) and len(entry[0]) == 2
                    and entry[0][0] == "users" and isinstance(entry[0][1], int)
                    and not isinstance(entry[0][1], bool)):
                values[("users", entry[0][1])] = entry[1]
    return Document(doc.data, doc.source, doc.lines, values)
