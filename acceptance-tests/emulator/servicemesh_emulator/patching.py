"""Replacing moto methods in one visible place.

Each patch names the moto class and method it replaces and keeps the original, so a replacement can
delegate to moto for the parts moto already does right. Installing twice is harmless.
"""

from collections.abc import Callable
from typing import Any

_originals: dict[tuple[type, str], Any] = {}


def patch(cls: type, name: str, replacement: Callable[..., Any]) -> None:
    key = (cls, name)
    if key not in _originals:
        _originals[key] = cls.__dict__.get(name, getattr(cls, name, None))
    setattr(cls, name, replacement)


def original(cls: type, name: str) -> Any:
    """The moto implementation that `patch` replaced."""
    return _originals[(cls, name)]
