"""Caches that hold what a store file contained, forgotten when the file is erased.

Layers above the store (the data years of `measures.analysis`, the protected tables of `measures.protected`)
register a function that drops their cache; `erase_store` calls them all. The store so never imports the
layers above it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["forget_all", "register"]

_FORGETTERS: list[Callable[[], None]] = []


def register(forget: Callable[[], None]) -> Callable[[], None]:
    """Call `forget` whenever a store file is erased (usable as a decorator)."""
    if forget not in _FORGETTERS:
        _FORGETTERS.append(forget)
    return forget


def forget_all() -> None:
    """Drop every registered cache."""
    for forget in _FORGETTERS:
        forget()
