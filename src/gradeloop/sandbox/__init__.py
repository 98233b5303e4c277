"""A sandbox for running user Python code: warm worker processes, confined and bounded.

Used by the `python` grader and meant for anything else that runs user code (tool
implementations, agent tools). The API is small::

    from gradeloop.sandbox import SandboxPool, SandboxConfig, Source, Module

    with SandboxPool(SandboxConfig(memory_mb=512), workers=4) as pool:
        r = pool.call(Source("def add(a, b):\\n    return a + b\\n"), "add", args=[1, 2], timeout=5)
        r.ok, r.result, r.error, r.timed_out          # True, 3, None, False
        pool.call(Module("mytools.weather"), "lookup", kwargs={"city": "Oslo"})

`call(code, function, args=(), kwargs=None, timeout=10.0) -> SandboxResult`: arguments and the
result travel as JSON (numbers-like objects become floats, anything else its repr). What the
code does never raises: an exception, a timeout (`timed_out=True`), a crash or a resource limit
is a result with `ok=False` and `error` set. `SandboxUnavailable` is raised only when no worker
can start (e.g. namespaces refused; the message says how to opt out). `shared_pool(config)`
returns one process-wide pool per configuration, closed at exit.

What a worker gets (isolation="namespaces", the default; Linux, root or unprivileged user
namespaces):
- resource limits: address space, CPU time per call and per worker life, processes, file
  size, open files (`resource.setrlimit`, hard limits, so the code cannot raise them);
- no network: a new, empty network namespace (`network=True` opts out);
- an empty environment (only `env`), a private tmpfs /tmp as its working folder, emptied after
  every call and gone with the worker; the rest of the file system read-only; the results store
  (`.gradeloop`, $GRADELOOP_STORE), home-folder credentials and /etc/shadow hidden; a private
  /proc (no other process's environ); no inherited descriptors; no privileges (root runs the
  code as nobody; others keep their uid inside a user namespace, without capabilities);
- bounded waits: the worker is PID 1 of its own PID namespace; on a timeout the parent kills
  it through a pidfd and the kernel kills every process inside, detached grandchildren too.

What is kept between calls of one worker (the point of warm workers) and what is not: a
module's source is executed, or a module imported, once per worker and its globals persist
(caches, counters, loaded models), as do threads it started. Not kept: other processes (all
killed after each call), files in the working folder, the current folder, `os.environ` and
`sys.path` changes. Code from mutually distrusting parties should not share a pool: the code
runs in the worker's own process and can see and alter the worker.

Known limits: root without CAP_SYS_ADMIN (a container that allows user namespaces but not
mounts) runs the code as nobody inside a user namespace when nobody can read the interpreter,
and otherwise (an interpreter under /root) as root mapped to root, where the kernel does not
enforce the process limit; the timeout still ends a fork bomb, with every process in it. Run
as root, the code can read only world-readable files (it is nobody); run as a user, it reads
what that user reads, minus the hidden paths. A call's `timeout` is wall time; the CPU limit
(SIGXCPU) is a backstop for multi-threaded code. The code can write to the reply pipe of its
own worker: a garbled reply kills the worker and is an error of that call, nothing more.

isolation="limits" (GRADELOOP_SANDBOX=limits) is the explicit opt-out for kernels or
containers that forbid namespaces: limits, empty environment and a private temporary folder
only; the code then has the network and the user's files, and detached grandchildren survive.
"""
from gradeloop.sandbox.config import SandboxConfig, default_hidden
from gradeloop.sandbox.pool import SandboxPool, shared_pool
from gradeloop.sandbox.types import Module, SandboxResult, SandboxUnavailable, Source

__all__ = ["SandboxConfig", "SandboxPool", "SandboxResult", "SandboxUnavailable", "Source", "Module",
           "shared_pool", "default_hidden"]
