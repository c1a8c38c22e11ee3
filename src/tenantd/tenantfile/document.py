"""A parsed tenant file: its data, the name it came from, and the line of every key and list item.

Paths are tuples of mapping keys and list indices, e.g. ``("applications", 0, "appRoles", 1, "value")``,
written ``applications[0].appRoles[1].value``. Lines are known when the text was YAML read from disk;
a document that arrived as JSON has paths only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Document:
    data: dict[str, Any]
    source: str = "tenant.yaml"
    lines: Mapping[Path, int] = field(default_factory=dict)
    # A user's path -> the password its reference resolved to where the file was read (never shown).
    passwords: Mapping[Path, str] = field(default_factory=dict, repr=False)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def where(self, path: Path) -> str:
        """``tenant.yaml:12: applications[0].displayName`` (without the line when it is unknown)."""
        line = self.line(path)
        head = f"{self.source}:{line}" if line is not None else self.source
        return f"{head}: {format_path(path)}" if path else head

    def problem(self, path: Path, message: str) -> str:
        return f"{self.where(path)}: {message}"

    def request_body(self, *, prune: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """The body of ``POST /_tenantd/apply``; ``lines`` lets the server's errors name lines too, and
        ``passwords`` carries the values of the file's password references (the server resolves none)."""
        return {"document": self.data, "source": self.source, "prune": prune, "dryRun": dry_run,
                "lines": [[list(path), line] for path, line in self.lines.items()],
                "passwords": [[list(path), value] for path, value in self.passwords.items()]}


def lines_from_json(raw: object, limit: int = 200_000) -> dict[Path, int]:
    """``lines`` of :meth:`Document.request_body` back to a map; malformed entries are skipped (a courtesy)."""
    lines: dict[Path, int] = {}
    if not isinstance(raw, list):
        return lines
    for entry in raw[:limit]:
        if (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                and isinstance(entry[1], int) and not isinstance(entry[1], bool)
                and all(isinstance(p, str | int) and not isinstance(p, bool) for p in entry[0])):
            lines[tuple(entry[0])] = entry[1]
    return lines
