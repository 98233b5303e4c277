"""The parent's handle on one worker process: start, one call at a time, kill.

Every wait has a deadline (poll on the pipe, never `communicate`), and killing does not wait
for pipes to close: the worker's PID namespace is killed through a pidfd of its PID 1, which
takes every descendant with it, detached or not, so no grandchild can hold a wait open.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gradeloop.sandbox.config import SandboxConfig
from gradeloop.sandbox.types import SandboxResult, SandboxUnavailable

WORKER_SCRIPT = str(Path(__file__).with_name("_worker.py"))
MAX_REPLY = 64 << 20
_KILL_WAIT = 5.0


class _Dead(Exception):
    """The worker closed its pipe (`exiting`: it is on its way out) or broke the protocol."""

    def __init__(self, message: str, exiting: bool = False) -> None:
        super().__init__(message)
        self.exiting = exiting


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker stopped answering"
    # limits mode: a negative code is the signal; namespace mode (and the CPU-limit handler): 128 + signal
    sig = -code if code < 0 else (code - 128 if 128 < code < 128 + 65 else 0)
    if sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        why = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)",
               "SIGKILL": " (killed, e.g. out of memory)", "SIGSEGV": " (crashed)"}.get(name, "")
        return f"the worker died from {name}{why}"
    return f"the worker exited with code {code}"


class WorkerProcess:
    """One sandboxed interpreter serving calls; not thread-safe (the pool hands it to one caller)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.calls = 0
        self.cpu = 0.0
        self.isolation: dict[str, Any] = {}
        self._seq = 0
        self._buf = bytearray()
        self._pidfd: int | None = None
        self._init_pid: int | None = None
        self._namespaces = config.isolation == "namespaces"
        self._workdir = None if self._namespaces else tempfile.mkdtemp(prefix="gradeloop-sandbox-")
        env = dict(config.env)
        if "LD_LIBRARY_PATH" in os.environ and "LD_LIBRARY_PATH" not in env:
            env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]  # some interpreters need it to start
        argv = [sys.executable, "-I", "-X", "utf8", WORKER_SCRIPT, json.dumps(config.worker_json(self._workdir))]
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env, cwd="/", close_fds=True,
                                         start_new_session=True)
        except OSError as exc:
            self._remove_workdir()
            raise SandboxUnavailable(f"cannot start a sandbox worker: {exc}") from None
        self.pid = self.proc.pid
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin, self._stdout = self.proc.stdin, self.proc.stdout
        os.set_blocking(self._stdin.fileno(), False)
        self._handshake(time.monotonic() + config.startup_timeout)

    def _handshake(self, deadline: float) -> None:
        try:
            frame = self._read(deadline)
            if "init_pid" in frame:
                self._init_pid = int(frame["init_pid"])
                try:
                    self._pidfd = os.pidfd_open(self._init_pid)
                except (AttributeError, OSError):
                    self._pidfd = None
                frame = self._read(deadline)
        except TimeoutError:
            self.kill()
            raise SandboxUnavailable(
                f"a sandbox worker did not start within {self.config.startup_timeout:g}s") from None
        except _Dead as exc:
            self.kill()
            raise SandboxUnavailable(f"a sandbox worker failed at start-up: {exc}") from None
        if not frame.get("ready"):
            self.kill()
            hint = "" if not self._namespaces else (
                " — to run with resource limits only (no network or file-system isolation), set "
                "GRADELOOP_SANDBOX=limits or SandboxConfig(isolation='limits')")
            raise SandboxUnavailable(f"{frame.get('error', 'the sandbox worker refused to start')}{hint}",
                                     permanent=True)
        self.isolation = dict(frame.get("isolation") or {})

    # -- pipes with deadlines ----------------------------------------------------------------

    def _write(self, data: bytes, deadline: float) -> None:
        fd = self._stdin.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise TimeoutError
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            except OSError as exc:  # BrokenPipeError: the worker is gone
                raise _Dead(str(exc), exiting=True) from None
            view = view[n:]

    def _read(self, deadline: float) -> dict[str, Any]:
        fd = self._stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack(">I", self._buf[:4])
                if n > MAX_REPLY:
                    raise _Dead(f"sent a reply of {n} bytes, over the {MAX_REPLY >> 20} MB limit")
                if len(self._buf) >= 4 + n:
                    body = bytes(self._buf[4:4 + n])
                    del self._buf[:4 + n]
                    try:
                        frame = json.loads(body.decode("utf-8", "surrogatepass"))
                    except ValueError as exc:
                        raise _Dead(f"sent an unreadable reply ({exc})") from None
                    if not isinstance(frame, dict):
                        raise _Dead("sent an unreadable reply")
                    return frame
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise TimeoutError
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise _Dead("closed its pipe", exiting=True)
            self._buf += chunk

    # -- calls -------------------------------------------------------------------------------

    def call(self, request: dict[str, Any], timeout: float) -> tuple[SandboxResult, bool]:
        """Run one request; returns the result and whether the worker can serve again."""
        self._seq += 1
        self.calls += 1
        request = {**request, "id": self._seq}
        deadline = time.monotonic() + timeout
        try:
            payload = json.dumps(request, default=str).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as exc:
            return SandboxResult(False, error=f"arguments cannot be sent as JSON: {exc}", worker=self.pid), True
        try:
            self._write(struct.pack(">I", len(payload)) + payload, deadline)
            reply = self._read(deadline)
            if reply.get("id") != self._seq:
                raise _Dead("answered out of turn (the code wrote to the sandbox's pipe)")
        except TimeoutError:
            self.kill()
            return SandboxResult(False, error=f"timed out after {timeout:g}s", timed_out=True, worker=self.pid), False
        except _Dead as exc:
            # a worker that closed its pipe is exiting: its code says why (a limit, a signal), which a
            # loaded machine may take a moment to deliver; one that broke the protocol is still alive
            code = self._exit_code(10.0 if exc.exiting else 0.0)
            self.kill()
            why = _describe_exit(code) if code is not None else f"the worker {exc}"
            return SandboxResult(False, error=f"{why} during the call", worker=self.pid), False
        self.cpu = float(reply.get("cpu") or 0.0)
        reusable = not reply.get("retire")
        if reply.get("ok"):
            return SandboxResult(True, result=reply.get("result"), log=str(reply.get("log", "")),
                                 worker=self.pid), reusable
        return SandboxResult(False, error=str(reply.get("error", "the call failed")),
                             traceback=str(reply.get("traceback", "")), log=str(reply.get("log", "")),
                             worker=self.pid), reusable

    def _exit_code(self, wait: float) -> int | None:
        try:
            return self.proc.wait(timeout=wait) if wait > 0 else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Kill the worker and everything it started; bounded, idempotent."""
        if self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except OSError:
                pass
            os.close(self._pidfd)
            self._pidfd = None
        elif self._init_pid is not None and self.proc.poll() is None:
            try:  # the outer process is alive, so its child's pid was not reused
                os.kill(self._init_pid, signal.SIGKILL)
            except OSError:
                pass
        self._init_pid = None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.kill()
        for pipe in (self._stdin, self._stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=_KILL_WAIT)
        except subprocess.TimeoutExpired:
            pass
        self._remove_workdir()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
