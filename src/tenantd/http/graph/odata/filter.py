"""``$filter``: the expression tree, the tokenizer, a recursive descent parser with explicit bounds (text
length, nesting depth), binding to an entity's properties, and evaluation over serialized objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ....domain.errors import BadRequest
from ....domain.ids import is_guid
from .errors import MAX_DEPTH, MAX_FILTER_LENGTH, Kind, shown, syntax_error, unsupported


# -- the filter AST ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lit:
    kind: Literal["string", "guid", "bool", "null"]
    value: str | bool | None


@dataclass(frozen=True)
class Compare:
    name: str
    op: Literal["eq", "ne"]
    value: Lit


@dataclass(frozen=True)
class StartsWith:
    name: str
    prefix: str


@dataclass(frozen=True)
class AnyOf:
    """``name/any(var: body)`` over a collection of strings."""

    name: str
    var: str
    body: Node


@dataclass(frozen=True)
class Logical:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


Node = Compare | StartsWith | AnyOf | Logical


# -- tokens -----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>[ \t]+)
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![A-Za-z0-9_]))
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),:/])
""", re.VERBOSE)

_UNSUPPORTED_OPERATORS = {"gt", "ge", "lt", "le", "in", "has", "not", "add", "sub", "mul", "div", "mod"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise syntax_error(f"unexpected character at position {pos}.")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


# -- the parser -------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def keyword(self) -> str | None:
        token = self.peek()
        return token.text.lower() if token is not None and token.kind == "name" else None

    def take(self, kind: str, text: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise syntax_error(f"expected {text or kind} at the end of the clause.")
        if token.kind != kind or (text is not None and token.text.lower() != text):
            raise syntax_error(f"expected {text or kind} at position {token.pos}, found '{shown(token.text, 40)}'.")
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.expression(0)
        token = self.peek()
        if token is not None:
            raise syntax_error(f"unexpected '{shown(token.text, 40)}' at position {token.pos}.")
        return node

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise unsupported(f"The filter clause is nested more than {MAX_DEPTH} levels deep.")
        operands = [self.conjunction(depth)]
        while self.keyword() == "or":
            self.index += 1
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self, depth: int) -> Node:
        operands = [self.factor(depth)]
        while self.keyword() == "and":
            self.index += 1
            operands.append(self.factor(depth))
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def factor(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            raise syntax_error("the clause ends where an expression was expected.")
        if token.kind == "punct" and token.text == "(":
            self.index += 1
            node = self.expression(depth + 1)
            self.take("punct", ")")
            return node
        if token.kind != "name":
            raise syntax_error(f"expected a property or function at position {token.pos}.")
        word = token.text.lower()
        if word in _UNSUPPORTED_OPERATORS:
            raise unsupported(f"The operator '{token.text}' is not supported in $filter.")
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if following is not None and following.text == "(":
            if word == "startswith":
                return self.startswith()
            raise unsupported(f"The function '{shown(token.text, 40)}' is not supported in $filter.")
        self.index += 1
        if following is not None and following.text == "/":
            return self.lambda_any(token.text, depth)
        return self.comparison(token.text)

    def startswith(self) -> StartsWith:
        self.index += 2
        name = self.take("name").text
        self.take("punct", ",")
        prefix = _string(self.take("string").text)
        self.take("punct", ")")
        return StartsWith(name, prefix)

    def lambda_any(self, name: str, depth: int) -> AnyOf:
        self.take("punct", "/")
        operator = self.take("name")
        if operator.text.lower() != "any":
            raise unsupported(f"The lambda operator '{shown(operator.text, 40)}' is not supported in $filter.")
        self.take("punct", "(")
        var = self.take("name").text
        self.take("punct", ":")
        body = self.expression(depth + 1)
        self.take("punct", ")")
        return AnyOf(name, var, body)

    def comparison(self, name: str) -> Compare:
        token = self.peek()
        word = self.keyword()
        if word in _UNSUPPORTED_OPERATORS and token is not None:
            raise unsupported(f"The operator '{token.text}' is not supported in $filter.")
        if word not in ("eq", "ne"):
            where = f"position {token.pos}" if token is not None else "the end of the clause"
            raise syntax_error(f"expected 'eq' or 'ne' at {where}.")
        self.index += 1
        return Compare(name, word, self.literal())  # type: ignore[arg-type]

    def literal(self) -> Lit:
        token = self.peek()
        if token is None:
            raise syntax_error("expected a value at the end of the clause.")
        self.index += 1
        if token.kind == "string":
            return Lit("string", _string(token.text))
        if token.kind == "guid":
            return Lit("guid", token.text.lower())
        word = token.text.lower() if token.kind == "name" else ""
        if word in ("true", "false"):
            return Lit("bool", word == "true")
        if word == "null":
            return Lit("null", None)
        raise syntax_error(f"expected a value at position {token.pos}, found '{shown(token.text, 40)}'.")


def _string(token: str) -> str:
    return token[1:-1].replace("''", "'")


def parse_filter(text: str) -> Node:
    """The AST of a ``$filter`` clause; :class:`BadRequest` for anything outside the supported subset."""
    if len(text) > MAX_FILTER_LENGTH:
        raise unsupported(f"The filter clause is longer than {MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise syntax_error("the clause is empty.")
    return _Parser(text).parse()


# -- binding a filter to an entity's properties -----------------------------------------------------------
@dataclass(frozen=True)
class Entity:
    """What the query layer needs to know about one Graph type."""

    type_name: str                      # e.g. "microsoft.graph.application"
    selectable: frozenset[str]          # every property the serializer writes
    filterable: Mapping[str, Kind]      # properties $filter may test, with their kinds
    default: frozenset[str] | None = None   # properties returned without $select (None: all)
    fields: Mapping[str, str] = field(default_factory=dict)   # property -> the store field SQL filters on

    @property
    def resource(self) -> str:
        short = self.type_name.rsplit(".", 1)[-1]
        return short[:1].upper() + short[1:]

    def canonical(self, name: str) -> str:
        lowered = name.lower()
        for prop in self.selectable:
            if prop.lower() == lowered:
                return prop
        raise BadRequest(f"Could not find a property named '{shown(name, 64)}' on type '{self.type_name}'.")


def bind(node: Node, entity: Entity) -> Node:
    """Check ``node`` against the entity's filterable properties; names become canonical, values normalised."""
    return _bind(node, entity, None)


def _kind(name: str, entity: Entity, scope: tuple[str, Kind] | None) -> tuple[str, Kind]:
    if scope is not None:
        if name != scope[0]:
            raise unsupported(f"Only the lambda variable '{scope[0]}' can be used inside any().")
        return name, scope[1]
    prop = entity.canonical(name)
    kind = entity.filterable.get(prop)
    if kind is None:
        raise unsupported(f"Unsupported or invalid query filter clause specified for property '{prop}' of "
                          f"resource '{entity.resource}'.")
    return prop, kind


def _bind(node: Node, entity: Entity, scope: tuple[str, Kind] | None) -> Node:
    if isinstance(node, Logical):
        return Logical(node.op, tuple(_bind(o, entity, scope) for o in node.operands))
    if isinstance(node, AnyOf):
        prop, kind = _kind(node.name, entity, scope)
        if kind != "strings":
            raise unsupported(f"The any() operator needs a collection; '{prop}' is not one.")
        return AnyOf(prop, node.var, _bind(node.body, entity, (node.var, "string")))
    prop, kind = _kind(node.name, entity, scope)
    if isinstance(node, StartsWith):
        if kind != "string":
            raise unsupported(f"startswith() needs a text property; '{prop}' is not one.")
        return StartsWith(prop, node.prefix.casefold())
    return Compare(prop, node.op, _value(prop, kind, node.value))


def _value(prop: str, kind: Kind, lit: Lit) -> Lit:
    if kind == "strings":
        raise unsupported(f"'{prop}' is a collection: use {prop}/any(x:x eq '...').")
    if lit.kind == "null":
        return lit
    if kind == "string" and lit.kind in ("string", "guid"):
        return Lit("string", str(lit.value).casefold())
    if kind == "guid" and lit.kind in ("string", "guid") and is_guid(lit.value):
        return Lit("guid", str(lit.value).lower())
    if kind == "bool" and lit.kind == "bool":
        return lit
    raise BadRequest(f"Invalid value in $filter for property '{prop}': a {kind} is required.", code="BadRequest")


def matches(node: Node, obj: Mapping[str, Any]) -> bool:
    """Whether the Graph object ``obj`` satisfies a bound filter."""
    if isinstance(node, Logical):
        results = (matches(o, obj) for o in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, AnyOf):
        values = obj.get(node.name) or []
        return any(matches(node.body, {node.var: v}) for v in values)
    value = obj.get(node.name)
    if isinstance(node, StartsWith):
        return isinstance(value, str) and value.casefold().startswith(node.prefix)
    lit = node.value
    if lit.kind == "null":
        equal = value is None
    elif lit.kind == "bool":
        equal = value is lit.value
    else:
        equal = isinstance(value, str) and value.casefold() == lit.value
    return equal if node.op == "eq" else not equal
