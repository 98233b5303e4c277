"""Read a suite file as UTF-8 text, naming the line of the first byte that is not UTF-8."""
from __future__ import annotations

from pathlib import Path

from gradeloop.errors import InputError


def decode_utf8(data: bytes, file: str) -> str:
    """Bytes to text; a bad byte becomes an InputError with its line and column. Drops a BOM."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}; "
                         "save the file as UTF-8", file=file, line=line) from None
    return text.removeprefix("\ufeff")


def read_text(path: Path) -> str:
    """The file's text, or an InputError saying why it cannot be read (FIFOs and devices refused)."""
    from gradeloop.files import read_input_bytes

    return decode_utf8(read_input_bytes(path, what="suite file"), str(path))
