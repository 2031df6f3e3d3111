"""The one mapping between the GraphQL contract's camelCase names and the Python snake_case names
the resolvers see: ariadne applies it to arguments, input fields and default resolvers, and the
resolvers use the same pair of functions, so no name can be converted one way here and another way
there (``segment1`` once became ``segment_1`` in ariadne and stayed ``segment1`` in a resolver, and
every segment field written through GraphQL was lost).
"""

from __future__ import annotations

from typing import Any

from ariadne import convert_camel_case_to_snake
from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

__all__ = ["check_round_trip", "graphql_name", "python_name", "schema_name_converter", "to_graphql_keys"]


def python_name(name: str) -> str:
    """The Python name of a contract name: ariadne's own conversion (segment1 -> segment_1)."""
    return convert_camel_case_to_snake(name)


def graphql_name(name: str) -> str:
    """The contract name of a Python name; the inverse of python_name on every name of the schema."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def schema_name_converter(name: str, _schema: GraphQLSchema, _path: tuple[str, ...]) -> str:
    """What make_executable_schema's convert_names_case takes: python_name, nothing else."""
    return python_name(name)


def to_graphql_keys(data: dict[str, Any]) -> dict[str, Any]:
    """A resolver's snake_case input back in the contract's names (top level only)."""
    return {graphql_name(key): value for key, value in data.items()}


def check_round_trip(schema: GraphQLSchema) -> None:
    """Fail loudly, at schema build, if any field, argument or input field name would not come back
    unchanged through python_name and graphql_name."""
    broken = sorted(name for name in _names(schema) if graphql_name(python_name(name)) != name)
    if broken:
        raise ValueError(f"names that do not survive the snake_case round trip: {', '.join(broken)}")


def _names(schema: GraphQLSchema) -> set[str]:
    names: set[str] = set()
    for kind in schema.type_map.values():
        if kind.name.startswith("__"):  # introspection types (specifiedByURL): never converted by ariadne
            continue
        if isinstance(kind, GraphQLObjectType):
            for field_name, field in kind.fields.items():
                names.add(field_name)
                names.update(field.args)
        elif isinstance(kind, GraphQLInputObjectType):
            names.update(kind.fields)
    return names
