"""OData query options for Graph collections: a strict parser for the subset tenantd supports, and its evaluation.

Supported: ``$filter`` with ``eq``/``ne``, ``startswith(p,'x')``, ``p/any(x:...)`` on string collections,
``and``/``or`` and parentheses; ``$select``; ``$top`` (1..999) with ``$skiptoken`` paging; ``$count``.
Anything else is refused with Graph's 400, never guessed at. :func:`query` hands the filter's top-level
``and`` terms that the store can test exactly (names, appId, identifierUris, ids of an assignment's ends)
to SQL as store conditions and evaluates the rest over the serialized Graph objects, so a page of a
large directory reads about one page of rows.


The parser is recursive descent with explicit bounds (text length, nesting depth), so hostile input costs
linear time and a bounded stack.
"""

from .errors import (
    DEFAULT_PAGE_SIZE,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_QUERY_OPTIONS,
    MAX_TOP,
    shown,
    syntax_error,
    unsupported,
)
from .filter import AnyOf, Compare, Entity, Lit, Logical, Node, StartsWith, bind, matches, parse_filter
from .query import Options, Page, Row, apply, decode_skiptoken, encode_skiptoken, parse_options, project, query

__all__ = [
    "DEFAULT_PAGE_SIZE", "MAX_DEPTH", "MAX_FILTER_LENGTH", "MAX_QUERY_OPTIONS", "MAX_TOP", "AnyOf", "Compare",
    "Entity", "Lit", "Logical", "Node", "Options", "Page", "Row", "StartsWith", "apply", "bind",
    "decode_skiptoken", "encode_skiptoken", "matches", "parse_filter", "parse_options", "project", "query", "shown",
    "syntax_error", "unsupported",
]
