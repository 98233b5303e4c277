"""Serve the viewer from a background thread on a free loopback port (browser tests, benchmarks).

`gradeloop view` runs uvicorn in the foreground; this is the same server, started and stopped by
code, so a test or a benchmark measures the real HTTP path rather than an in-process client.
"""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from fastapi import FastAPI


@contextmanager
def background_server(app: FastAPI, host: str = "127.0.0.1", timeout_s: float = 120.0) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while uvicorn serves `app`; stop it on exit.

    The socket is bound here and handed to uvicorn, so no other process can take the port between
    choosing it and serving on it. `timeout_s` is a hang guard for the start and the stop.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="gradeloop-view", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"the viewer did not start on {host}:{port}")
            time.sleep(0.02)
        try:
            yield f"http://{host}:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=timeout_s)
    finally:
        sock.close()
