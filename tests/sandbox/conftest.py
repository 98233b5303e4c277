"""Pools for the sandbox tests: built per test, closed after it; namespace tests skip only
where the kernel refuses namespaces (the pool then raises SandboxUnavailable, tested apart)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from gradeloop.sandbox import SandboxConfig, SandboxPool, SandboxUnavailable


@pytest.fixture
def make_pool() -> Callable[..., SandboxPool]:
    pools: list[SandboxPool] = []

    def make(workers: int = 1, **config: Any) -> SandboxPool:
        config.setdefault("isolation", "namespaces")
        pool = SandboxPool(SandboxConfig(**config), workers=workers)
        pools.append(pool)
        if config["isolation"] == "namespaces":
            try:
                pool.warm(1)
            except SandboxUnavailable as exc:
                pytest.skip(f"namespaces refused here: {exc}")
        return pool

    yield make
    for pool in pools:
        pool.close()
