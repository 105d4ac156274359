"""Filters and paging for Cloud Map's List* calls, which moto ignores.

Each filter name allows only some conditions (the API reference lists them); EQ and BEGINS_WITH
take exactly one value, IN one or more, BETWEEN two. Anything else is InvalidInput, as on AWS.
Paging (MaxResults 1-100, default 100, and an opaque NextToken) is the shared `paging` helper.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .cloudmap_errors import InvalidInput
from .paging import Paging

T = TypeVar("T")

# filter name -> (allowed conditions, value of an item for that filter)
FilterSpec = dict[str, tuple[set[str], Callable[[Any], Any]]]

# ListNamespaces, ListServices and ListOperations: MaxResults 1-100, default 100; InvalidInput otherwise.
PAGING = Paging(
    default_max_results=100,
    error=InvalidInput,
    bad_max_results="MaxResults must be between 1 and 100",
    bad_token="Invalid NextToken",
)


def apply_filters(
    items: Sequence[T],
    filters: list[dict[str, Any]] | None,
    spec: FilterSpec,
    allowed_values: dict[str, set[str]] | None = None,
) -> list[T]:
    """`allowed_values` names the filters whose values come from a fixed set (RESOURCE_OWNER:
    SELF or OTHER_ACCOUNTS); any other value is InvalidInput."""
    result = list(items)
    for flt in filters or []:
        name = flt.get("Name")
        values = flt.get("Values") or []
        condition = flt.get("Condition") or "EQ"
        if name not in spec:
            raise InvalidInput(f"Unsupported filter name: {name}; supported: {sorted(spec)}")
        allowed, value_of = spec[name]
        if condition not in allowed:
            raise InvalidInput(f"Condition {condition} is not supported for filter {name}; use {sorted(allowed)}")
        if condition in ("EQ", "BEGINS_WITH") and len(values) != 1:
            raise InvalidInput(f"Condition {condition} of filter {name} needs exactly one value")
        if condition == "BETWEEN" and len(values) != 2:
            raise InvalidInput(f"Condition BETWEEN of filter {name} needs exactly two values")
        if not values:
            raise InvalidInput(f"Filter {name} needs at least one value")
        allowed_here = (allowed_values or {}).get(name)
        if allowed_here is not None and not set(values) <= allowed_here:
            raise InvalidInput(f"Values of filter {name} must be one of {sorted(allowed_here)}")
        result = [item for item in result if _matches(value_of(item), condition, values)]
    return result


def _matches(actual: Any, condition: str, values: list[str]) -> bool:
    if condition == "EQ":
        return str(actual) == values[0]
    if condition == "IN":
        return str(actual) in values
    if condition == "BEGINS_WITH":
        return str(actual).startswith(values[0])
    low, high = (float(v) for v in values)  # BETWEEN: epoch seconds
    return low <= float(actual) <= high
