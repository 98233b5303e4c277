"""What a sandbox allows: resource limits, network, environment, visible and hidden paths.

Frozen and hashable, so that equal configurations share one warm pool (`shared_pool`).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

Isolation = Literal["namespaces", "limits"]

# Credentials a user's code has no business reading (hidden under empty mounts when they exist).
_SECRET_HOME = (".ssh", ".aws", ".azure", ".gnupg", ".config/gcloud", ".docker", ".kube", ".netrc",
                ".git-credentials", ".pypirc", ".npmrc", ".huggingface", ".cache/huggingface/token")


def default_isolation() -> Isolation:
    """`namespaces`, unless GRADELOOP_SANDBOX=limits opts out where the kernel forbids them."""
    value = os.environ.get("GRADELOOP_SANDBOX", "namespaces").strip().lower()
    return "limits" if value == "limits" else "namespaces"


def default_hidden() -> tuple[str, ...]:
    """Secrets in the home folder, /etc/shadow, and the results store (`.gradeloop`, $GRADELOOP_STORE).

    The store of the current folder and $GRADELOOP_STORE's folder are what a user's code must
    neither read nor rewrite; the rest of the file system is read-only anyway.
    """
    home = Path.home()
    paths = [home / p for p in _SECRET_HOME] + [Path("/etc/shadow"), Path("/etc/gshadow"),
                                                 Path.cwd() / ".gradeloop"]
    store = os.environ.get("GRADELOOP_STORE")
    if store:
        paths.append(Path(store).resolve().parent)
    # listed whether or not they exist yet: a worker hides what exists when it starts
    return tuple(sorted({str(p.resolve()) for p in paths}))


def interpreter_paths() -> tuple[str, ...]:
    """The folders the worker's interpreter must still read: its prefixes and `sys.path`."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent.parent)}
    found |= {p for p in sys.path if p}
    return tuple(sorted(str(Path(p).resolve()) for p in found if Path(p).is_dir()))


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Limits for each worker process and what it can see.

    `isolation="namespaces"` (the default) needs Linux namespaces (root, or unprivileged user
    namespaces); where the kernel refuses them the pool raises `SandboxUnavailable` rather
    than run the code unconfined. `isolation="limits"` (or GRADELOOP_SANDBOX=limits) is the
    explicit opt-out: resource limits, an empty environment and a private folder only — the
    code then has the network and the user's file access, and detached grandchildren can
    outlive a call.
    """

    memory_mb: int = 1024         # address space of each process (RLIMIT_AS)
    cpu_seconds: float = 30.0     # CPU time of one call (RLIMIT_CPU, soft, re-armed per call)
    worker_cpu_seconds: float = 3600.0  # CPU time of a worker's whole life (hard); then it is replaced
    processes: int = 64           # processes and threads in the sandbox (RLIMIT_NPROC; namespaces only)
    disk_mb: int = 64             # largest file (RLIMIT_FSIZE) and size of the private /tmp
    open_files: int = 256         # RLIMIT_NOFILE
    network: bool = False         # True: keep the host's network (no network namespace)
    isolation: Isolation = field(default_factory=default_isolation)
    # the whole environment of the code, empty by default (a mapping is stored as sorted pairs)
    env: Mapping[str, str] | tuple[tuple[str, str], ...] = ()
    paths: tuple[str, ...] = ()   # folders put on sys.path (read-only), e.g. the grader's folder
    hide: tuple[str, ...] = field(default_factory=default_hidden)  # paths replaced by empty mounts
    max_calls: int = 1000         # calls one worker serves before it is replaced
    startup_timeout: float = 30.0  # seconds a new worker may take to report ready

    def __post_init__(self) -> None:
        env = self.env.items() if isinstance(self.env, Mapping) else self.env
        object.__setattr__(self, "env", tuple(sorted((str(k), str(v)) for k, v in env)))
        object.__setattr__(self, "paths", tuple(str(Path(p).resolve()) for p in self.paths))
        object.__setattr__(self, "hide", tuple(str(p) for p in self.hide))
        if self.isolation not in ("namespaces", "limits"):
            raise ValueError(f"isolation must be 'namespaces' or 'limits', not {self.isolation!r}")
        for name in ("memory_mb", "processes", "disk_mb", "open_files", "max_calls"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.cpu_seconds <= 0 or self.worker_cpu_seconds < self.cpu_seconds:
            raise ValueError("cpu_seconds must be > 0 and at most worker_cpu_seconds")

    def worker_json(self, workdir: str | None) -> dict:
        """What the worker script reads from its command line."""
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "worker_cpu_seconds": self.worker_cpu_seconds, "processes": self.processes,
                "disk_mb": self.disk_mb, "open_files": self.open_files, "network": self.network,
                "isolation": self.isolation, "env": dict(self.env), "paths": list(self.paths),
                "hide": list(self.hide), "expose": sorted(set(interpreter_paths()) | set(self.paths)),
                "workdir": workdir}
