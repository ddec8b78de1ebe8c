"""Hooks: how a lower package lets a higher one act on what it does, without importing it.

The lower package declares a `Hook` and calls it; the higher one registers a function on it,
and only `app.wiring.install` does the registering, so what runs never depends on which
modules happened to be imported.
"""

from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """Functions called, in the order registered, each time the owner calls the hook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[Callable[P, object]] = []

    def register(self, function: Callable[P, object]) -> None:
        """Add `function` (once: registering it again changes nothing)."""
        if function not in self._functions:
            self._functions.append(function)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for function in self._functions:
            function(*args, **kwargs)

    def __bool__(self) -> bool:
        return bool(self._functions)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._functions)} registered)"
