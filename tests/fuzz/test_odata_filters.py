"""More OData properties than tests/domain/test_odata.py holds: the logs' own $filter language (signIns and
directoryAudits), date literals that keep text order as time order, $skiptoken and $select on any input,
paging that returns each match once, and the laws of and/or/ne over the directory filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantd.domain.errors import BadRequest
from tenantd.http.graph import audit, directory_audits, odata
from tenantd.http.graph.odata import Compare, Lit, Logical, StartsWith

from .support import SECONDS, fuzz_settings, within

LOGS = {"signIns": (audit._PROPERTIES, "SignIn"),
        "directoryAudits": (directory_audits._PROPERTIES, "directoryAudit")}
CODES = {"BadRequest", "Request_BadRequest", "Request_UnsupportedQuery"}


def _log_filter(text: str, log: str) -> list[audit.Condition] | None:
    properties, resource = LOGS[log]
    with within(SECONDS, "parsing a log filter"):
        try:
            conditions = audit.parse_filter(text, properties, resource)
        except BadRequest as exc:
            assert exc.status == 400 and exc.code in CODES, exc.code
            return None
    columns = {p.column for p in properties.values()}
    assert all(column in columns and op in {"eq", "ne", "ge", "gt", "le", "lt"} for column, op, _ in conditions)
    return conditions


LOG_WORDS = st.sampled_from([
    "createdDateTime", "activityDateTime", "appId", "servicePrincipalId", "ipAddress", "status/errorCode",
    "category", "result", "correlationId", "initiatedBy/app/appId", "eq", "ne", "ge", "gt", "le", "lt", "and",
    "or", "not", "(", ")", " ", "'", "''", "'x'", "0", "-1", "99999999999", "2024-05-01T00:00:00Z",
    "2024-05-01T00:00:00.1234567+02:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
    "2024-02-30", "32028ccd-3212-4f39-3212-beabd6787d81", "T", "Z", ":", "+", ".",
])


@fuzz_settings(300)
@given(st.text(max_size=200), st.sampled_from(sorted(LOGS)))
def test_any_log_filter_text_is_conditions_or_graphs_400(text: str, log: str) -> None:
    _log_filter(text, log)


@fuzz_settings(400)
@given(st.lists(LOG_WORDS, max_size=40).map(" ".join), st.sampled_from(sorted(LOGS)))
def test_log_filter_shaped_noise_is_conditions_or_graphs_400(text: str, log: str) -> None:
    _log_filter(text, log)


def test_deep_log_filters_are_refused_without_exhausting_the_stack() -> None:
    for depth in (17, 1000, 20_000):
        assert _log_filter("(" * depth + "appId eq 'x'" + ")" * depth, "signIns") is None


MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.one_of(st.none(), st.just(UTC),
                                           st.integers(-14 * 60, 14 * 60).map(
                                               lambda m: timezone(timedelta(minutes=m)))))


def _time_value(moment: datetime) -> str | None:
    found = _log_filter(f"createdDateTime ge {moment.isoformat()}", "signIns")
    return None if found is None else str(found[0][2])


@fuzz_settings(400)
@given(MOMENTS, MOMENTS)
def test_time_literals_keep_text_order_as_time_order(a: datetime, b: datetime) -> None:
    """The log compares times as text (fixed width, UTC): the literal's text must sort as its time does."""
    ta, tb = _time_value(a), _time_value(b)
    for text in (ta, tb):
        if text is not None:
            assert len(text) == len("2024-05-01T00:00:00.000000Z") and text.endswith("Z"), text
    if ta is not None and tb is not None:
        utc_a, utc_b = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (a, b))
        assert (ta < tb) == (utc_a < utc_b) and (ta == tb) == (utc_a == utc_b), (a, b, ta, tb)


# -- $skiptoken and $select ------------------------------------------------------------------------------
@fuzz_settings(400)
@given(st.text(max_size=600))
def test_any_skiptoken_is_a_key_or_graphs_400(token: str) -> None:
    try:
        key = odata.decode_skiptoken(token)
    except BadRequest as exc:
        assert exc.status == 400
        return
    assert isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)


@fuzz_settings(300)
@given(st.tuples(st.text(max_size=60), st.text(max_size=60)))
def test_skiptokens_read_back(key: tuple[str, str]) -> None:
    token = odata.encode_skiptoken(key)
    if len(token) <= 512:
        assert odata.decode_skiptoken(token) == key


APPS = odata.Entity(
    "microsoft.graph.application", frozenset({"id", "displayName", "identifierUris", "isEnabled", "tag"}),
    {"id": "guid", "displayName": "string", "identifierUris": "strings", "isEnabled": "bool", "tag": "string"},
)


@fuzz_settings(300)
@given(st.text(max_size=100))
def test_any_select_is_known_properties_or_graphs_400(text: str) -> None:
    try:
        options = odata.parse_options("$select=" + text.replace("&", "%26").replace("#", "%23"), APPS,
                                      collection=False)
    except BadRequest as exc:
        assert exc.status == 400
        return
    assert options.select is not None and set(options.select) <= APPS.selectable


# -- evaluation ------------------------------------------------------------------------------------------
OBJECTS = st.lists(st.fixed_dictionaries({
    "displayName": st.sampled_from(["a", "A", "ab", "b", "", "é", "É"]),
    "tag": st.one_of(st.none(), st.sampled_from(["x", "y"])),
    "isEnabled": st.booleans(),
}), max_size=12).map(lambda objs: [{**o, "id": f"{i:08d}-0000-4000-8000-000000000000"} for i, o in enumerate(objs)])
LEAVES = st.one_of(
    st.builds(lambda v, op: Compare("displayName", op, Lit("string", v)), st.sampled_from(["a", "b", "é"]),
              st.sampled_from(["eq", "ne"])),
    st.builds(lambda v, op: Compare("tag", op, Lit("string", v) if v else Lit("null", None)),
              st.sampled_from(["x", "", None]), st.sampled_from(["eq", "ne"])),
    st.builds(lambda v: Compare("isEnabled", "eq", Lit("bool", v)), st.booleans()),
    st.builds(lambda v: StartsWith("displayName", v), st.sampled_from(["", "a", "A", "É"])),
)
TREES = st.recursive(LEAVES, lambda inner: st.builds(
    Logical, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)), max_leaves=6)


def render(node: odata.Node) -> str:
    """The clause text of a tree, with redundant parentheses and case changes that must not matter."""
    if isinstance(node, Logical):
        return f" {node.op.upper()} ".join(f"(({render(o)}))" for o in node.operands)
    if isinstance(node, StartsWith):
        return f"startsWith( {node.name} ,'{node.prefix}')"
    assert isinstance(node, Compare)
    value = node.value.value
    literal = "null" if value is None else f"'{value}'" if isinstance(value, str) else str(value).lower()
    return f"{node.name.upper()} {node.op} {literal}"


def _matching(tree: odata.Node, objects: list[dict[str, object]]) -> set[str]:
    """The objects the tree selects, evaluated from its text as a request would send it."""
    bound = odata.bind(odata.parse_filter(render(tree)), APPS)
    return {str(o["id"]) for o in objects if odata.matches(bound, o)}


@fuzz_settings(150)
@given(TREES, TREES, OBJECTS)
def test_and_or_are_intersection_and_union(a: odata.Node, b: odata.Node, objects: list[dict[str, object]]) -> None:
    left, right = _matching(a, objects), _matching(b, objects)
    assert _matching(Logical("and", (a, b)), objects) == left & right
    assert _matching(Logical("or", (a, b)), objects) == left | right


@fuzz_settings(200)
@given(LEAVES.filter(lambda n: isinstance(n, Compare)), OBJECTS)
def test_ne_is_the_complement_of_eq(leaf: Compare, objects: list[dict[str, object]]) -> None:
    eq, ne = (Compare(leaf.name, op, leaf.value) for op in ("eq", "ne"))
    everyone = {str(o["id"]) for o in objects}
    assert _matching(ne, objects) == everyone - _matching(eq, objects)


@fuzz_settings(150)
@given(OBJECTS, st.one_of(st.none(), TREES), st.integers(1, 5), st.lists(st.text(max_size=3), max_size=12))
def test_paging_returns_every_match_once_in_order(objects: list[dict[str, object]], tree: odata.Node | None,
                                                  top: int, created: list[str]) -> None:
    rows = [((created[i] if i < len(created) else "", str(o["id"])), o) for i, o in enumerate(objects)]
    query = f"$top={top}"
    expected = [o["id"] for key, o in sorted(rows, key=lambda r: r[0])
                if tree is None or str(o["id"]) in _matching(tree, objects)]
    seen: list[object] = []
    with within(SECONDS, "paging"):
        for _ in range(len(objects) + 2):
            options = odata.parse_options(query, APPS, collection=True)
            options = odata.Options(odata.bind(tree, APPS) if tree else None, None, options.top, options.after)
            page = odata.apply(options, rows, APPS)
            seen += [o["id"] for o in page.items]
            if page.next_skiptoken is None:
                break
            query = f"$top={top}&$skiptoken={page.next_skiptoken}"
    assert seen == expected


@pytest.mark.parametrize("query", ["$filter=" + "(" * 5000, "$select=" + "," * 5000, "$skiptoken=" + "A" * 100_000,
                                   "&".join(["x=1"] * 10_000), "$top=" + "9" * 5000])
def test_huge_query_options_are_refused_quickly(query: str) -> None:
    with within(SECONDS, "parsing query options"), pytest.raises(BadRequest):
        odata.parse_options(query, APPS, collection=True)
