"""Reading a tenant file: YAML that remembers the line of every key and list item, then the JSON Schema
and the checks that need nothing but the file. Every problem is collected; none is written anywhere.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from . import checks
from .document import Document, Path, lines_from_json
from .errors import TenantFileError
from .passwords import passwords_from_json, resolve_passwords
from .schema import PATTERN_MEANINGS, SCHEMA

MAX_VALUES = 200_000   # bounds alias expansion ("billion laughs") as well as plain size
MAX_DEPTH = 64         # the schema nests six deep
_VALIDATOR = Draft202012Validator(SCHEMA)
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def load_file(path: FsPath) -> Document:
    """A validated document from a YAML file on disk; errors name the file, the line and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TenantFileError([f"{path}: cannot read the file: {exc}"]) from None
    return load_text(text, str(path))


def load_text(text: str, source: str = "tenant.yaml") -> Document:
    """A validated document whose password references are resolved (files relative to ``source``)."""
    data, lines = parse_yaml(text, source)
    return resolve_passwords(validate(Document(data, source, lines)), FsPath(source).parent)


def document_from_json(data: object, source: str = "tenant.yaml", lines: object = None,
                       passwords: object = None) -> Document:
    """A validated document that arrived as JSON (lines, when the client sent them, name its lines; passwords
    are the values of its password references, which are not resolved here)."""
    doc = validate(Document(data, source, lines_from_json(lines)))  # type: ignore[arg-type]
    return passwords_from_json(doc, passwords)


def validate(doc: Document) -> Document:
    """The document, if it matches the schema and is consistent in itself; TenantFileError otherwise."""
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {type(doc.data).__name__}, not a mapping"
        raise TenantFileError([f"{doc.where(())}: the document is {kind}; a tenant file is a mapping with "
                               "applications, managedIdentities, users, groups, assignments and consents."])
    found = sorted(_schema_problems(doc), key=lambda item: (doc.line(item[0]) or 0, len(item[0])))
    if found:
        raise TenantFileError([doc.problem(path, message) for path, message in found])
    problems = checks.file_problems(doc)
    if problems:
        raise TenantFileError(problems)
    return doc


# -- YAML with lines -------------------------------------------------------------------------------------
def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """Plain data (safe YAML: no tags that build objects) and the line of every path in it."""
    try:
        loader = _Loader(text, source)   # refuses characters YAML does not allow, such as NUL
    except yaml.YAMLError as exc:
        raise TenantFileError([f"{source}: invalid YAML: {exc}"]) from None
    builder = _Builder(loader, source)
    try:
        node = loader.get_single_node()
        data = builder.build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise TenantFileError([f"{where}: invalid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise TenantFileError([f"{source}: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise TenantFileError(builder.problems)
    return data, builder.lines


class _Loader(yaml.SafeLoader):
    """Safe YAML whose collections nest at most ``MAX_DEPTH`` deep: PyYAML composes recursively, and each
    level of ``[[[...`` costs it a rescan of the pending keys, so depth is refused before it is paid for."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _too_deep(self.peek_event().start_mark.line + 1, self.source)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _too_deep(line: int, source: str) -> TenantFileError:
    return TenantFileError([f"{source}:{line}: collections are nested more than {MAX_DEPTH} deep."])


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[Path, int] = {}
        self.problems: list[str] = []
        self.count = 0
        self.open: set[int] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_VALUES:
            raise TenantFileError([f"{self.source}:{line}: the file is too large (more than {MAX_VALUES} values)."])
        if len(path) > MAX_DEPTH:   # aliases can stack nodes that are each shallow enough
            raise _too_deep(line, self.source)
        self.lines.setdefault(path, line)
        if id(node) in self.open:
            raise TenantFileError([f"{self.source}:{line}: a YAML alias refers to the node that contains it."])
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            # Dates stay the text they were written as: JSON has no date type and the schema wants text.
            return node.value if isinstance(value, datetime.date) else value
        if node.tag not in _PLAIN_COLLECTIONS:
            raise TenantFileError([f"{self.source}:{line}: invalid YAML: the tag {node.tag} is not supported."])
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self._item(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, path)
        finally:
            self.open.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:   # an impossible date, an integer of thousands of digits: the schema judges the text
            return node.value

    def _item(self, node: yaml.Node, path: Path) -> Any:
        self.lines[path] = node.start_mark.line + 1
        return self.build(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves "<<" merge keys
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(f"{self.source}:{line}: a key must be text, not a list or a mapping.")
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                self.problems.append(f"{self.source}:{line}: a key must be text, not {key!r}.")
                continue
            if key in result:
                self.problems.append(f"{self.source}:{line}: duplicate key '{key}' (first at line {first_line[key]}).")
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        return result


# -- schema errors, reported where they are --------------------------------------------------------------
def _schema_problems(doc: Document) -> Iterator[tuple[Path, str]]:
    for error in _VALIDATOR.iter_errors(doc.data):
        yield from _describe(error)


def _describe(error: ValidationError) -> Iterator[tuple[Path, str]]:
    path: Path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for key in error.instance:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
                yield (*path, key), f"unknown property '{key}'{hint}"
        return
    if error.validator == "not":
        reason = _nearest_description(error)
        yield path, "not allowed here" + (f": {reason}" if reason else "")
        return
    if error.context:
        deepest = best_match(error.context)
        if len(deepest.absolute_path) > len(error.absolute_path):
            yield from _describe(deepest)
            return
        yield path, "; or ".join(dict.fromkeys(sub.message for sub in error.context))
        return
    if error.validator == "pattern" and error.validator_value in PATTERN_MEANINGS:
        yield path, f"{error.instance!r} {PATTERN_MEANINGS[error.validator_value]}"
        return
    yield path, error.message


def _nearest_description(error: ValidationError) -> str | None:
    """The description of the closest schema above the failing keyword (it says why)."""
    node: Any = SCHEMA
    found = None
    for part in list(error.schema_path)[:-2]:
        node = node[part]
        if isinstance(node, dict) and isinstance(node.get("description"), str):
            found = node["description"]
    return found
