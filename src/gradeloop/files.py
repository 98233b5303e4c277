"""Files in and out: atomic writes, and reads that refuse what is not a bounded regular file.

Everything gradeloop writes for users or for itself (suites, reports, policies, state,
registry pointers) goes through `atomic_open`: written beside the target, then renamed over it,
with the permissions a plain `open()` would give (0666 less the umask), not mkstemp's 0600, so
a CI job or a web server can read the reports it publishes. A write that fails (read-only or
full disk, no permission) is an InputError naming the file.

Everything read from the user (suites, replay files, run JSON, configs) goes through
`read_input_bytes`: a FIFO, a device (`/dev/zero`), a folder or a file over the size limit is
refused with one line instead of hanging or filling memory.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

from gradeloop.errors import InputError

MAX_INPUT_BYTES = 2 * 1024 ** 3  # 2 GiB: far past any suite, run or replay file; stops /dev/zero-like inputs
_CHUNK = 1 << 20
_LAST_INPUT: list[str] = []  # the last user file read: named by the CLI's last-resort error line


def last_input() -> str | None:
    """The user file read most recently (the likely culprit of an unforeseen error), if any."""
    return _LAST_INPUT[-1] if _LAST_INPUT else None


def _umask() -> int:
    """The process umask, read without changing it where the kernel says it (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the classic read-by-setting (restored at once)
    os.umask(mask)
    return mask


def _write_error(exc: OSError, target: Path) -> InputError:
    reason = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system",
              errno.EDQUOT: "disk quota exceeded"}.get(exc.errno or 0, exc.strerror or str(exc))
    return InputError(f"cannot write: {reason}", file=str(target))


@contextmanager
def atomic_open(path: str | Path, *, private: bool = False) -> Iterator[TextIO]:
    """A text handle whose content replaces `path` only if the block finishes without error.

    The file gets mode 0666 & ~umask like any file a command writes (0600 with `private`).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(exc, target) from None
    try:
        os.fchmod(fd, 0o600 if private else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, InputError):
            raise _write_error(exc, target) from None
        raise


def atomic_write_text(path: str | Path, text: str, *, private: bool = False) -> Path:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_open(path, private=private) as handle:
        handle.write(text)
    return Path(path)


def read_input_bytes(path: str | Path, *, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file, or an InputError: missing, a folder, a FIFO/device, unreadable, too big.

    Opened non-blocking (a FIFO would otherwise block `open` until a writer comes) and checked with
    fstat on the open descriptor, so a swap between check and read cannot slip a device in.
    """
    file = str(path)
    _LAST_INPUT[:] = [file]
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, expected a {what}", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"is a folder, expected a {what}", file=file)
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else (
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file")
            raise InputError(f"{kind}, expected a {what} (a regular file)", file=file)
        if info.st_size > max_bytes:
            raise InputError(f"too large: {info.st_size:,} bytes (limit {max_bytes:,})", file=file)
        chunks: list[bytes] = []
        total = 0
        while True:  # read to EOF, never past the limit (the file may grow while read)
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise InputError(f"too large: over {max_bytes:,} bytes", file=file)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    finally:
        os.close(fd)


def read_input_text(path: str | Path, *, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> str:
    """`read_input_bytes` decoded as UTF-8 (BOM dropped); a bad byte is an InputError with its line."""
    data = read_input_bytes(path, what=what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8: byte 0x{data[exc.start]:02x}", file=str(path), line=line) from None
