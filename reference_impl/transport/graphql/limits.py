"""GraphQL cost limits: depth, alias count and a complexity budget, checked at validation, before execution.

A document over a limit is refused as a request error naming the limit (``extensions.limit``), so a
cost bomb (1,000 aliases of a 500-node page, three nested connection levels) costs its sender a parse.

Complexity is the number of nodes the query can answer, GitHub's node limit: every connection (a field
with a ``first`` argument) counts its page times (1 + the nodes below it); ``first`` as given (literal or
variable), the server's default page when absent, at most the page cap. ariadne's ``cost_validator``
was the library to use, but it counts a connection without ``first`` as one node where the server
pages 100, knows no cap, and re-walks a fragment per spread; here a fragment is measured once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.type import GraphQLInterfaceType

__all__ = ["Measure", "QueryLimits", "limit_rule", "refusals"]


@dataclass(slots=True, frozen=True)
class QueryLimits:
    """The declared limits (ServerConfig: graphql_max_depth, graphql_max_aliases, graphql_max_complexity)."""

    max_depth: int
    max_aliases: int
    max_complexity: int
    default_page: int
    page_cap: int
    max_json_depth: int  # list/object literals in the document (a Json argument is stored as written)


@dataclass(slots=True, frozen=True)
class Measure:
    """What a selection set costs: its deepest field nesting, its aliases and its complexity."""

    depth: int = 0
    aliases: int = 0
    complexity: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(max(self.depth, other.depth), self.aliases + other.aliases, self.complexity + other.complexity)


class _Measurer:
    """Measures selection sets of one document; each fragment is measured once (a spread reuses it)."""

    def __init__(self, context: ValidationContext, limits: QueryLimits, variables: Mapping[str, Any]) -> None:
        self.context, self.limits, self.variables = context, limits, variables
        self.fragments: dict[str, Measure] = {}
        self.visiting: set[str] = set()  # a fragment cycle is NoFragmentCycles' to report; here it costs 0

    def selection_set(self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None) -> Measure:
        total = Measure()
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total += self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                typed = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(node.selection_set, typed)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measure:
        fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        definition = fields.get(node.name.value)
        child_type = get_named_type(definition.type) if definition else None
        inner = self.selection_set(node.selection_set, child_type)
        connection = definition is not None and "first" in definition.args
        nodes = self._page(node) * (1 + inner.complexity) if connection else inner.complexity
        # Introspection (__schema, __type) nests ofType as deep as tools ask, bounded by the schema itself.
        depth = 0 if node.name.value.startswith("__") else inner.depth + 1
        return Measure(depth, inner.aliases + (node.alias is not None), nodes)

    def fragment(self, name: str) -> Measure:
        if name in self.fragments:
            return self.fragments[name]
        definition = self.context.get_fragment(name)
        if definition is None or name in self.visiting:
            return Measure()
        self.visiting.add(name)
        typed = self.context.schema.get_type(definition.type_condition.name.value)
        measured = self.fragments[name] = self.selection_set(definition.selection_set, typed)
        self.visiting.discard(name)
        return measured

    def _page(self, node: FieldNode) -> int:
        """The page a connection field asks for: ``first``, else the default page; within [0, cap]."""
        first = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(first, VariableNode):
            first = self.variables.get(first.name.value)
        size = int(first.value) if isinstance(first, IntValueNode) else first
        if not isinstance(size, int) or isinstance(size, bool):
            size = self.limits.default_page
        return max(0, min(size, self.limits.page_cap))


def limit_rule(limits: QueryLimits, variables: Mapping[str, Any] | None) -> type[ValidationRule]:
    """A validation rule refusing an operation over any of ``limits`` (``variables`` give ``first``)."""
    variables = variables if isinstance(variables, Mapping) else {}

    class QueryLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.measurer = _Measurer(context, limits, variables)
            self.literal_depth = 0

        def enter_list_value(self, *_: Any) -> None:
            self._nest(1)

        def leave_list_value(self, *_: Any) -> None:
            self.literal_depth -= 1

        enter_object_value, leave_object_value = enter_list_value, leave_list_value

        def _nest(self, step: int) -> None:
            self.literal_depth += step
            if self.literal_depth == limits.max_json_depth + 1:  # reported once per literal that crosses it
                self.report_error(_refusal("JSON literal depth", self.literal_depth, limits.max_json_depth))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            measured = self.measurer.selection_set(node.selection_set, root)
            for error in refusals(measured, limits):
                self.report_error(error)

    return QueryLimitRule


def refusals(measured: Measure, limits: QueryLimits) -> list[GraphQLError]:
    """The errors naming each limit ``measured`` is over."""
    checks = (
        ("depth", measured.depth, limits.max_depth),
        ("aliases", measured.aliases, limits.max_aliases),
        ("complexity", measured.complexity, limits.max_complexity),
    )
    return [_refusal(name, actual, maximum) for name, actual, maximum in checks if actual > maximum]


def _refusal(name: str, actual: int, maximum: int) -> GraphQLError:
    # C0001-C0019 are Fluent's codes of API limits, "e.g. query too complex" (SPEC §3, [C API-ERR])
    return GraphQLError(
        f"Query {name} {actual} exceeds the limit of {maximum}",
        extensions={"code": "C0001E", "limit": name, "maximum": maximum, "actual": actual},
    )
