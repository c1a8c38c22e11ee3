"""The tenant file loader on any input: a Document or a TenantFileError, never another exception, and in
bounded time (aliases that expand a little text into a huge tree are refused, not expanded)."""

from __future__ import annotations

import contextlib
import json
import string
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tenantd.tenantfile import Document, TenantFileError, document_from_json, load_text, schema
from tenantd.tenantfile.demo import demo_text

from .support import fuzz_settings, within

LOAD_SECONDS = 5.0   # the largest alias expansion refused (200,000 values) takes ~1.6 s here


def load(text: str) -> Document | None:
    """``load_text`` holding to its contract; the document, or None when it refused the file."""
    with within(LOAD_SECONDS, "loading a tenant file"):
        try:
            doc = load_text(text, "fuzz.yaml")
        except TenantFileError as exc:
            assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
            return None
    assert isinstance(doc, Document) and isinstance(doc.data, dict)
    return doc


def _names(node: Any) -> set[str]:
    """Every property name the tenant file schema declares."""
    found: set[str] = set()
    if isinstance(node, dict):
        found.update(k for k in node.get("properties", {}) if isinstance(k, str))
        for value in node.values():
            found |= _names(value)
    elif isinstance(node, list):
        for value in node:
            found |= _names(value)
    return found


KEYS = sorted(_names(schema()))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["32028ccd-3212-4f39-3212-beabd6787d81", "api://things", "https://things.example",
                     "Things.Read.All", "Application", "User", "SystemAssigned", "UserAssigned", "web", "api",
                     "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Web/sites/web", "2024-05-01",
                     "ada@example.com", "", " ", "*"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner,
                                            max_size=5)),
    max_leaves=40,
)
DEMO = yaml.safe_load(demo_text())

# YAML-shaped noise: the syntax (indentation, flow collections, anchors, aliases, merge keys, tags,
# block scalars, documents) mixed with the schema's words.
YAML_TOKENS = st.sampled_from([
    "\n", "\n  ", "\n    ", "- ", ": ", ":", ", ", "[", "]", "{", "}", "&a ", "*a", "&b ", "*b", "<<: ", "!!str ",
    "!!binary ", "!!python/object:os.system ", "!!set ", "!tag ", "|\n  ", ">-\n  ", "---\n", "...\n", "? ", "#",
    "'", '"', "\\", "\t", "%YAML 1.1\n", "~", "null", "true", "0x1F", "1e400", "2024-13-45", "12:30:00",
    *KEYS[:40], "applications", "appRoles", "managedIdentities", "assignments", "users", "groups",
])
YAML_NOISE = st.lists(st.one_of(YAML_TOKENS, st.text(max_size=3)), max_size=60).map("".join)


@fuzz_settings(300)
@given(st.text(max_size=400))
def test_any_text_is_a_document_or_a_tenant_file_error(text: str) -> None:
    load(text)


@fuzz_settings(300)
@given(YAML_NOISE)
def test_yaml_shaped_noise_is_a_document_or_a_tenant_file_error(text: str) -> None:
    load(text)


@st.composite
def shared_yaml(draw: st.DrawFn) -> str:
    """YAML with anchors, aliases and merge keys: data that holds the same objects in several places (the
    dumper writes them as &anchor and *alias), and "<<" keys that merge one of them (or a list, or a scalar)."""
    pool = draw(st.lists(DOCUMENTS, min_size=1, max_size=4))
    mappings = [p for p in pool if isinstance(p, dict)]
    merged = st.sampled_from([*mappings, mappings, *pool])
    doc: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([*KEYS, "<<", "<<"]), max_size=8)):
        if key == "<<":
            doc[key] = draw(merged)
        else:
            item = st.one_of(st.sampled_from(pool), st.lists(st.sampled_from(pool), max_size=3), DOCUMENTS,
                             st.dictionaries(st.sampled_from(KEYS), st.sampled_from(pool), max_size=3).map(
                                 lambda d: {**d, "<<": draw(merged)}))
            doc[key] = draw(item)
    return yaml.safe_dump(doc, allow_unicode=True).replace("'<<':", "<<:")


@fuzz_settings(150)
@given(shared_yaml())
def test_anchors_aliases_and_merge_keys_are_a_document_or_a_tenant_file_error(text: str) -> None:
    load(text)


@fuzz_settings(150)
@given(DOCUMENTS)
def test_any_yaml_data_is_a_document_or_a_tenant_file_error(data: Any) -> None:
    load(yaml.safe_dump(data, allow_unicode=True))
    with within(LOAD_SECONDS, "validating JSON"), contextlib.suppress(TenantFileError):
        document_from_json(json.loads(json.dumps(data)))


def _mutate(draw: st.DrawFn, node: Any, depth: int = 0) -> Any:
    """The demo document with a few random changes: a value replaced, a key dropped or added, an item
    repeated; the result is mostly valid, so the checks after the schema run too."""
    if isinstance(node, dict) and node:
        node = dict(node)
        key = draw(st.sampled_from(sorted(node)))
        action = draw(st.sampled_from(["recurse", "recurse", "replace", "drop", "add"]))
        if action == "recurse":
            node[key] = _mutate(draw, node[key], depth + 1)
        elif action == "replace":
            node[key] = draw(DOCUMENTS)
        elif action == "drop":
            del node[key]
        else:
            node[draw(st.sampled_from(KEYS))] = draw(DOCUMENTS)
        return node
    if isinstance(node, list) and node:
        node = list(node)
        index = draw(st.integers(0, len(node) - 1))
        action = draw(st.sampled_from(["recurse", "recurse", "repeat", "drop"]))
        if action == "recurse":
            node[index] = _mutate(draw, node[index], depth + 1)
        elif action == "repeat":
            node.append(node[index])
        else:
            del node[index]
        return node
    return draw(DOCUMENTS)


@st.composite
def mutated_demo(draw: st.DrawFn) -> Any:
    doc = DEMO
    for _ in range(draw(st.integers(1, 4))):
        doc = _mutate(draw, doc)
    return doc


@fuzz_settings(100)
@given(mutated_demo())
def test_the_demo_with_random_changes_is_a_document_or_a_tenant_file_error(data: Any) -> None:
    load(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _laughs(levels: int, width: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("levels", "width"), [(9, 10), (30, 2), (4, 200), (6, 20)])
def test_billion_laughs_is_refused_in_bounded_time(levels: int, width: int) -> None:
    assert load(_laughs(levels, width)) is None


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    "a: {" * 5000 + "}" * 5000,
    "".join("  " * i + "- \n" for i in range(3000)),
    "".join("  " * i + "k:\n" for i in range(3000)),
    "a: &a [*a]", "a: &a {b: *a}", "<<: *nowhere",
    "applications: " + "9" * 100_000, "applications: 2024-13-45", "applications: 2024-02-30", "2024-13-45: x",
    "9" * 5000 + ": x",
    "a: \x00", "a: \ud800", "\ufeff\ufeff", "a: \x85", "\x1b[31m",
    "!!python/object/apply:os.system ['true']", "--- !!binary aGVsbG8=",
    string.printable * 10,
])
def test_hostile_files_are_refused_in_bounded_time(text: str) -> None:
    load(text)
