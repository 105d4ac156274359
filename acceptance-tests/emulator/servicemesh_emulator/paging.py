"""Paging of List* calls, one helper for every API the emulator pages (moto lists them unpaged).

Each API keeps its own page size default, member names and error: ECS answers a bad maxResults or
nextToken with InvalidParameterException, Cloud Map a bad MaxResults or NextToken with InvalidInput
(the botocore models declare these). A token is opaque to clients, as on AWS; here it encodes the
offset of the next item.
"""

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    """How one API pages: its default page size, and its error and wording for bad input."""

    default_max_results: int
    error: Callable[[str], Exception]
    bad_max_results: str
    bad_token: str

    def page(self, items: Sequence[T], max_results: Any, next_token: str | None) -> tuple[list[T], str | None]:
        """The page of `items` that `max_results` (None: the default) and `next_token` ask for,
        and the token of the next page, None when this is the last."""
        if max_results is None:
            max_results = self.default_max_results
        if not isinstance(max_results, int) or not 1 <= max_results <= 100:
            raise self.error(self.bad_max_results)
        start = self._decode(next_token) if next_token else 0
        page = list(items[start : start + max_results])
        end = start + len(page)
        return page, (_encode(end) if end < len(items) else None)

    def _decode(self, token: str) -> int:
        try:
            offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
            if isinstance(offset, int) and offset >= 0:
                return offset
        except (ValueError, KeyError, TypeError):
            pass
        raise self.error(self.bad_token)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()
