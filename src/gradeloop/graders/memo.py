"""A value computed once per object, keyed by identity: for schemas and tool tuples that every
case of a suite shares, read on the reward hot path. Bounded: cleared past `limit` entries."""
from __future__ import annotations

from typing import Callable, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def identity_memo(build: Callable[[K], V], limit: int = 4096) -> Callable[[K], V]:
    """`memo(obj)` is `build(obj)`, computed once while `obj` is alive (the stored object is checked,
    so a recycled id never returns another object's value). A closure, not a class with __call__:
    this sits on the reward hot path."""
    values: dict[int, tuple[K, V]] = {}

    def memo(obj: K) -> V:
        hit = values.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = build(obj)
        if len(values) > limit:
            values.clear()
        values[id(obj)] = (obj, value)
        return value

    return memo
