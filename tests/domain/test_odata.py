"""The OData subset: what parses, what it means, what is refused, and that no input makes it crash or run long."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantd.domain.errors import BadRequest
from tenantd.http.graph import odata
from tenantd.http.graph.odata import AnyOf, Compare, Entity, Lit, Logical, StartsWith

APPS = Entity(
    "microsoft.graph.application",
    frozenset({"id", "appId", "displayName", "identifierUris", "description", "isEnabled"}),
    {"id": "guid", "appId": "guid", "displayName": "string", "identifierUris": "strings", "isEnabled": "bool"},
)
GUID = "32028ccd-3212-4f39-3212-beabd6787d81"
OBJECTS = [
    {"id": GUID, "appId": "0d7c3e58-1f2a-4b6c-9d8e-7f6a5b4c3d2e", "displayName": "Things API",
     "identifierUris": ["api://things"], "isEnabled": True, "description": None},
    {"id": "5b1c9f3e-0000-4000-8000-000000000001", "appId": "6c1c9f3e-0000-4000-8000-000000000002",
     "displayName": "Things web (dev)", "identifierUris": [], "isEnabled": False, "description": "x"},
    {"id": "7d1c9f3e-0000-4000-8000-000000000003", "appId": "8e1c9f3e-0000-4000-8000-000000000004",
     "displayName": "O'Brien's API", "identifierUris": ["api://obrien", "https://obrien.example"],
     "isEnabled": True, "description": None},
]


def names(text: str) -> list[str]:
    node = odata.bind(odata.parse_filter(text), APPS)
    return [o["displayName"] for o in OBJECTS if odata.matches(node, o)]


def refused(text: str) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        odata.bind(odata.parse_filter(text), APPS)
    return caught.value


def test_parses_the_supported_grammar_into_its_tree() -> None:
    tree = odata.parse_filter("(displayName eq 'a' or startswith(displayName,'b')) and "
                              "identifierUris/any(x:x eq 'api://c') and appId ne " + GUID)
    assert tree == Logical("and", (
        Logical("or", (Compare("displayName", "eq", Lit("string", "a")), StartsWith("displayName", "b"))),
        AnyOf("identifierUris", "x", Compare("x", "eq", Lit("string", "api://c"))),
        Compare("appId", "ne", Lit("guid", GUID)),
    ))


@pytest.mark.parametrize(("clause", "expected"), [
    ("displayName eq 'Things API'", ["Things API"]),
    ("displayname EQ 'things api'", ["Things API"]),                  # names and text compare case-insensitively
    ("displayName ne 'Things API'", ["Things web (dev)", "O'Brien's API"]),
    ("startswith(displayName,'things')", ["Things API", "Things web (dev)"]),
    ("displayName eq 'O''Brien''s API'", ["O'Brien's API"]),          # '' is a quote inside a literal
    (f"id eq '{GUID.upper()}'", ["Things API"]),
    (f"id eq {GUID}", ["Things API"]),                                 # unquoted GUID literal
    ("identifierUris/any(x:x eq 'api://things')", ["Things API"]),
    ("identifierUris/any(u:startswith(u,'https://'))", ["O'Brien's API"]),
    ("isEnabled eq false", ["Things web (dev)"]),
    ("startswith(displayName,'Things') and isEnabled eq true", ["Things API"]),
    ("displayName eq 'Things API' or displayName eq 'Things web (dev)' and isEnabled eq true", ["Things API"]),
    ("(displayName eq 'Things API' or displayName eq 'Things web (dev)') and isEnabled eq false",
     ["Things web (dev)"]),
    ("displayName eq null", []),
])
def test_filters_select_the_right_objects(clause: str, expected: list[str]) -> None:
    assert names(clause) == expected


@pytest.mark.parametrize(("clause", "code"), [
    ("displayName eq", "BadRequest"),
    ("displayName = 'x'", "BadRequest"),
    ("displayName eq 'unterminated", "BadRequest"),
    ("(displayName eq 'x'", "BadRequest"),
    ("displayName eq 'x')", "BadRequest"),
    ("displayName eq 'x' and", "BadRequest"),
    ("displayName eq 3", "BadRequest"),
    ("", "BadRequest"),
    ("displayName gt 'x'", "Request_UnsupportedQuery"),
    ("not displayName eq 'x'", "Request_UnsupportedQuery"),
    ("endswith(displayName,'x')", "Request_UnsupportedQuery"),
    ("identifierUris/all(x:x eq 'a')", "Request_UnsupportedQuery"),
    ("description eq 'x'", "Request_UnsupportedQuery"),               # a property, but not filterable
    ("identifierUris eq 'api://things'", "Request_UnsupportedQuery"),  # a collection needs any()
    ("displayName/any(x:x eq 'a')", "Request_UnsupportedQuery"),
    ("identifierUris/any(x:y eq 'a')", "Request_UnsupportedQuery"),
    ("startswith(isEnabled,'t')", "Request_UnsupportedQuery"),
    ("nosuch eq 'x'", "Request_BadRequest"),
    ("appId eq 'not-a-guid'", "BadRequest"),
    ("isEnabled eq 'true'", "BadRequest"),
])
def test_refuses_what_it_does_not_support_with_graphs_codes(clause: str, code: str) -> None:
    assert refused(clause).code == code


def test_nesting_and_length_are_bounded() -> None:
    deep = "(" * 40 + "displayName eq 'x'" + ")" * 40
    assert refused(deep).code == "Request_UnsupportedQuery"
    assert names("(" * 16 + "displayName eq 'Things API'" + ")" * 16) == ["Things API"]
    assert refused("displayName eq '" + "a" * 3000 + "'").code == "Request_UnsupportedQuery"


def test_query_options_are_strict() -> None:
    options = odata.parse_options("$filter=displayName%20eq%20'x'&$select=displayName,ID&$top=5&$count=true&a=b",
                                  APPS, collection=True)
    assert options.select == ("displayName", "id") and options.top == 5 and options.count
    for query in ("$top=0", "$top=1000", "$top=-1", "$top=1.5", "$orderby=displayName", "$expand=owners",
                  "$select=nosuch", "$select=displayName,", "$filter=a&$filter=b", "$count=maybe",
                  "$skiptoken=%%%", "$skiptoken=" + "QQ" * 300):
        with pytest.raises(BadRequest):
            odata.parse_options(query, APPS, collection=True)
    with pytest.raises(BadRequest):
        odata.parse_options("$top=5", APPS, collection=False)


def test_paging_by_skiptoken_returns_each_object_once_in_order() -> None:
    rows = [((f"2024-01-01T00:00:{i % 7:02d}Z", f"{i:08d}-0000-4000-8000-000000000000"),
             {"id": f"{i:08d}-0000-4000-8000-000000000000", "displayName": f"app {i}"}) for i in range(23)]
    seen: list[str] = []
    query = "$top=5"
    for _ in range(10):
        page = odata.apply(odata.parse_options(query, APPS, collection=True), rows, APPS)
        seen.extend(o["id"] for o in page.items)
        if page.next_skiptoken is None:
            break
        query = f"$top=5&$skiptoken={page.next_skiptoken}"
    assert seen == [obj["id"] for _, obj in sorted(rows, key=lambda r: r[0])]


def test_projection_keeps_annotations_and_the_default_set() -> None:
    users = Entity("microsoft.graph.user", frozenset({"id", "displayName", "accountEnabled"}), {},
                   default=frozenset({"id", "displayName"}))
    obj = {"@odata.type": "#microsoft.graph.user", "id": "1", "displayName": "A", "accountEnabled": True}
    assert odata.project(obj, None, users) == {"@odata.type": "#microsoft.graph.user", "id": "1", "displayName": "A"}
    assert odata.project(obj, ["accountEnabled"], users) == {"@odata.type": "#microsoft.graph.user",
                                                             "accountEnabled": True}


# -- properties: no input crashes the parser or takes long -----------------------------------------------
FILTER_ALPHABET = st.sampled_from([*"()',:/ \t-_0123456789abcdefxyzAEQ", "eq", "ne", "and", "or", "any", "startswith",
                                   "displayName", "identifierUris", "isEnabled", "true", "null", GUID,
                                   "'api://things'", "not", "gt"])


def _parse_anything(text: str) -> None:
    started = time.perf_counter()
    try:
        node = odata.bind(odata.parse_filter(text), APPS)
    except BadRequest as exc:
        assert exc.status == 400 and exc.code in {"BadRequest", "Request_BadRequest", "Request_UnsupportedQuery"}
    else:
        for obj in OBJECTS:
            assert isinstance(odata.matches(node, obj), bool)
    assert time.perf_counter() - started < 0.5


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_is_parsed_or_refused(text: str) -> None:
    _parse_anything(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FILTER_ALPHABET, max_size=80).map("".join))
def test_filter_shaped_noise_is_parsed_or_refused(text: str) -> None:
    _parse_anything(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["$filter", "$select", "$top", "$skiptoken", "$count", "$orderby", "x"]),
                          st.text(max_size=40)), max_size=6))
def test_arbitrary_query_strings_are_parsed_or_refused(pairs: list[tuple[str, str]]) -> None:
    try:
        options = odata.parse_options(urlencode(pairs), APPS, collection=True)
    except BadRequest as exc:
        assert exc.status == 400
    else:
        page = odata.apply(options, [((o["id"], o["id"]), o) for o in OBJECTS], APPS)
        assert len(page.items) <= len(OBJECTS)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=20_000), st.sampled_from(["(", "identifierUris/any(x:", "(x eq 'a' or "]))
def test_deep_input_is_refused_without_exhausting_the_stack(depth: int, opener: str) -> None:
    _parse_anything(opener * depth + "displayName eq 'x'" + ")" * depth)


_LEAVES = st.one_of(
    st.builds(lambda v: Compare("displayName", "eq", Lit("string", v)), st.text(max_size=12)),
    st.builds(lambda v: Compare("isEnabled", "ne", Lit("bool", v)), st.booleans()),
    st.builds(lambda v: StartsWith("displayName", v), st.text(max_size=12)),
    st.builds(lambda v: AnyOf("identifierUris", "x", Compare("x", "eq", Lit("string", v))), st.text(max_size=12)),
)
TREES = st.recursive(_LEAVES, lambda inner: st.builds(
    Logical, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)), max_leaves=12)


def render(node: odata.Node) -> str:
    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    if isinstance(node, Logical):
        return f" {node.op} ".join(f"({render(o)})" for o in node.operands)
    if isinstance(node, StartsWith):
        return f"startswith({node.name},{quote(node.prefix)})"
    if isinstance(node, AnyOf):
        return f"{node.name}/any({node.var}:{render(node.body)})"
    value = node.value.value
    literal = quote(value) if isinstance(value, str) else str(value).lower()
    return f"{node.name} {node.op} {literal}"


@settings(max_examples=300, deadline=None)
@given(TREES.filter(lambda t: len(render(t)) <= odata.MAX_FILTER_LENGTH and render(t).count("(") < 60))
def test_rendered_trees_parse_back_to_themselves(tree: odata.Node) -> None:
    try:
        parsed = odata.parse_filter(render(tree))
    except BadRequest as exc:   # only the depth bound may refuse a well-formed clause
        assert exc.code == "Request_UnsupportedQuery"
        return
    assert parsed == tree
