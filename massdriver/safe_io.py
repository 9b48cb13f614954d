"""Reading files a user names, and quoting user text in messages, without trusting either.

:func:`read_limited` reads only regular files and at most a size limit (a character device
would read without end, a FIFO would block, a terminal would half-work); :func:`one_line`
makes any value safe to print in a one-line error message or a page (control characters, ESC,
NUL, line breaks and bidi overrides escaped; huge values truncated).
"""

from __future__ import annotations

import os
import stat

from massdriver.errors import InputError

__all__ = ["read_limited", "open_regular", "one_line", "escape_controls", "CONFIG_SIZE_LIMIT",
           "EPHEMERIS_SIZE_LIMIT"]

#: largest configuration file read (bytes): real ones are a few kB
CONFIG_SIZE_LIMIT = 4 << 20
#: largest ephemeris file (SPK, binary PCK) opened (bytes): DE441, the largest JPL file, is 3.1 GB
EPHEMERIS_SIZE_LIMIT = 4 << 30
_NOFOLLOW_BLOCK = getattr(os, "O_NONBLOCK", 0)
# bidi embeddings/overrides/isolates, zero-width marks and line/paragraph separators
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C,
              0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF}


def read_limited(path: str | os.PathLike, limit: int = CONFIG_SIZE_LIMIT) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else or anything larger.

    The file is opened without blocking (a FIFO does not hang the open) and checked to be a
    regular file before a byte is read; at most ``limit + 1`` bytes are ever read.

    Parameters
    ----------
    path : str or os.PathLike
    limit : int
        Largest accepted size (bytes).

    Returns
    -------
    bytes

    Raises
    ------
    massdriver.errors.InputError
        Not a regular file (directory, device, FIFO, socket), or larger than ``limit``.
    OSError
        The file cannot be opened (missing, permission).
    """
    where = one_line(os.fspath(path), 120)
    fd = _open_checked(path, limit)
    try:
        chunks, size = [], 0
        while size <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > limit:
            raise InputError(f"{where} is more than the {limit}-byte limit for this kind "
                             "of file")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open_checked(path: str | os.PathLike, limit: int) -> int:
    """A read-only descriptor of the regular file ``path`` of at most ``limit`` bytes."""
    where = one_line(os.fspath(path), 120)
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW_BLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else
                    "a FIFO" if stat.S_ISFIFO(st.st_mode) else
                    "a character device" if stat.S_ISCHR(st.st_mode) else
                    "a block device" if stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise InputError(f"{where} is {kind}; give a regular file")
        if st.st_size > limit:
            raise InputError(f"{where} is {st.st_size} bytes, more than the {limit}-byte "
                             "limit for this kind of file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(path: str | os.PathLike, limit: int):
    """``open(path, "rb")`` for a file that must be a regular file of at most ``limit`` bytes.

    For large binary files read by another library (SPK and PCK ephemerides, read or
    memory-mapped by ``jplephem``): the same checks as :func:`read_limited` (no blocking open of
    a FIFO, nothing but a regular file, the size checked before a byte is read), then a binary
    file object on that very descriptor, so what is read is what was checked.

    Parameters
    ----------
    path : str or os.PathLike
    limit : int
        Largest accepted size (bytes).

    Returns
    -------
    io.BufferedReader
        Open for reading; the caller closes it.

    Raises
    ------
    massdriver.errors.InputError
        Not a regular file (directory, device, FIFO, socket), or larger than ``limit``.
    OSError
        The file cannot be opened (missing, permission).
    """
    fd = _open_checked(path, limit)
    try:
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or code in _INVISIBLE:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
            f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return ch


def escape_controls(text: str, keep: str = "\n\t") -> str:
    """``text`` with control characters, ESC, NUL and bidi/zero-width marks written as escapes
    (``\\x1b``, ``\\u202e``), except those in ``keep`` (default: line feed and tab), so the
    text shows what it holds and cannot reorder or hide what follows it."""
    return "".join(ch if ch in keep else _escape(ch) for ch in text)


def one_line(value: object, limit: int = 200) -> str:
    """``str(value)`` made safe for a one-line message: control characters, line breaks, NUL,
    ESC and bidi/zero-width marks escaped (``\\n``, ``\\x1b``, ``\\u202e``), and cut to about
    ``limit`` characters with the original length stated."""
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    head = text[:limit] if cut else text
    s = escape_controls(head, keep="")
    if cut:
        s += f"... ({len(text)} characters)"
    return s
