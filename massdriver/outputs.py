"""Output files written as one transaction: all of a run's files, or none of them.

A job that writes a directory (``massdriver solve``, ``campaign``, ``report``) opens an
:class:`OutputDirectory` on ``--out`` *before* it computes anything. Opening it

- refuses an empty path, a path that is a file, and a directory it cannot write into;
- takes an exclusive lock (``.massdriver.lock`` in the directory): a second run into the same
  directory fails at once instead of replacing the first run's files;
- refuses, without ``force``, every file this command names that exists (a file, a symlink,
  dangling or not), and always refuses a directory or a read-only file in such a place;
- creates a private staging directory (``.massdriver-<run id>.tmp``, mode 0700) inside the
  output directory, where the files are written (created with ``O_EXCL | O_NOFOLLOW``).

:meth:`OutputDirectory.commit` flushes every staged file to disk, writes ``manifest.json`` (the
run id, the command and each file's size and SHA-256), renames the files into place (a rename
replaces a symlink, it never writes through it), removes the files of an earlier run that this
run does not produce, and renames the manifest in last. Any failure before the commit (a bad
input found late, a full disk, a file-size limit, Ctrl-C) removes the staging directory and
leaves the previous run's files untouched; an output directory created by the run is removed
again when it is left empty.

:func:`verify_directory` is the reader's side: it checks that the files of a directory are the
ones its manifest lists (``massdriver report`` refuses a directory whose files do not belong
together). :func:`write_file` is the one-file version (``--plot``, ``--write``): checked before
the computation, written to a temporary beside the target and renamed over it.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from massdriver import errors

try:  # POSIX only: the output lock is flock(2)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from massdriver.safe_io import one_line, read_limited

__all__ = ["OutputDirectory", "write_file", "check_output_file", "verify_directory",
           "read_manifest", "check_name", "MANIFEST", "LOCK_NAME", "STAGING_PREFIX"]

#: the manifest of a run's files (run id, command, size and SHA-256 of each file)
MANIFEST = "manifest.json"
#: the lock file held while a run writes the directory
LOCK_NAME = ".massdriver.lock"
#: prefix of the private staging directories (``.massdriver-<run id>.tmp``)
STAGING_PREFIX = ".massdriver-"
_STAGING_SUFFIX = ".tmp"
_FORMAT = "massdriver-manifest/1"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 << 20
_log = logging.getLogger(__name__)


def _writable(path: Path) -> bool:
    """Whether this process (its effective ids) may write ``path`` (a symlink not followed)."""
    kwargs = {}
    if os.access in os.supports_effective_ids:
        kwargs["effective_ids"] = True
    if os.access in os.supports_follow_symlinks:
        kwargs["follow_symlinks"] = False
    return os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0), **kwargs)


def check_name(name: str) -> str:
    """Return ``name`` if it is a plain file name (no separator, not ``.``/``..``/empty).

    Raises
    ------
    massdriver.errors.InputError
        The name would leave the output directory.
    """
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..") \
            or "/" in name or "\\" in name or "\0" in name:
        raise errors.InputError(f"output name {name!r} would leave the output directory")
    return name


def _sha256_fd(fd: int) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        block = os.read(fd, _CHUNK)
        if not block:
            break
        h.update(block)
        size += len(block)
    return h.hexdigest(), size


def _sha256_file(path: Path) -> tuple[str, int]:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
        return _sha256_fd(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:                      # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:                      # pragma: no cover - some filesystems refuse it
        pass
    finally:
        os.close(fd)


def read_manifest(directory: str | os.PathLike) -> dict | None:
    """The manifest of ``directory`` (``None`` when there is none).

    Raises
    ------
    massdriver.errors.InputError
        ``manifest.json`` exists but is not a massdriver manifest.
    """
    path = Path(directory) / MANIFEST
    if not os.path.lexists(path):
        return None

    where = f"{path}"
    try:
        data = json.loads(read_limited(path, limit=16 << 20).decode("utf-8"),
                          parse_constant=_no_constant)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise errors.InputError(
            f"{where}: not a massdriver manifest ({one_line(exc)})") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and data.get("format") == _FORMAT
            and isinstance(data.get("run_id"), str) and isinstance(files, dict)
            and all(isinstance(k, str) and isinstance(v, dict)
                    and isinstance(v.get("sha256"), str) and isinstance(v.get("bytes"), int)
                    for k, v in files.items())):
        raise errors.InputError(f"{where}: not a massdriver manifest")
    for name in files:
        check_name(name)
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def verify_directory(directory: str | os.PathLike, required: Iterable[str] = (),
                     also: Iterable[str] = (), *, own: OutputDirectory | None = None
                     ) -> dict | None:
    """Check that the files of ``directory`` belong to one run.

    With a manifest: every file it lists exists, is a regular file and has the listed size and
    SHA-256; every name of ``required`` and ``also`` that exists is listed; no staging
    directory of an interrupted commit is present (checked with or without a manifest).
    Without a manifest (a directory written before manifests existed) the files cannot be
    checked and ``None`` is returned.

    Parameters
    ----------
    directory : str or os.PathLike
    required : iterable of str
        Files the reader needs: each must be listed in the manifest.
    also : iterable of str
        Optional files the reader uses: each that exists must be listed.
    own : OutputDirectory, optional
        The transaction the caller holds on ``directory`` (its staging directory is no sign
        of an interrupted run).

    Returns
    -------
    dict or None
        The manifest.

    Raises
    ------
    massdriver.errors.InputError
        The files do not belong together (one line naming the first offending file).
    """
    d = Path(directory)
    for entry in sorted(os.listdir(d)):
        if entry.startswith(STAGING_PREFIX) and entry.endswith(_STAGING_SUFFIX) and (
                own is None or entry != own.staging.name):
            raise errors.InputError(
                f"{d}: an interrupted run left {entry}; its files may be a mix of two runs "
                "(run it again with --force)")
    manifest = read_manifest(d)
    if manifest is None:
        return None
    run = manifest["run_id"]
    files = manifest["files"]
    for name in [*required, *also]:
        if name in files:
            continue
        if name in tuple(required) or os.path.lexists(d / name):
            raise errors.InputError(
                f"{d / name} is not part of run {run} (manifest.json does not list it): the "
                "files of this directory do not belong together")
    for name, entry in files.items():
        path = d / name
        try:
            digest, size = _sha256_file(path)
        except FileNotFoundError:
            raise errors.InputError(
                f"{path} is missing (manifest.json of run {run} lists it)") from None
        except OSError as exc:
            raise errors.InputError(f"{path}: {exc.strerror or exc}") from None
        if size != entry["bytes"] or digest != entry["sha256"]:
            raise errors.InputError(
                f"{path} does not match manifest.json of run {run} ({size} bytes, expected "
                f"{entry['bytes']}; changed, truncated or from another run)")
    return manifest


class _Lock:
    """An exclusive ``flock`` on ``directory/.massdriver.lock``; the file is removed on release.

    The classic unlink-on-release race is closed by checking, once locked, that the path still
    names the locked file.
    """

    def __init__(self, directory: Path):
        self.path = directory / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        for _ in range(50):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise errors.OutputExistsError(
                    f"{self.path.parent}: another massdriver run is writing there (it holds "
                    f"{LOCK_NAME}); wait for it to finish or choose another --out") from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self.fd = fd
                return
            os.close(fd)                      # the holder removed it between open and flock
            time.sleep(0.01)
        raise errors.OutputExistsError(  # pragma: no cover - needs a pathological race
            f"{self.path}: cannot take the lock")

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


class _Deferred:
    """Block SIGINT/SIGTERM during the renames of a commit (main thread only)."""

    def __enter__(self):
        self.old = None
        if threading.current_thread() is threading.main_thread() and hasattr(
                signal, "pthread_sigmask"):
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK,
                                              {signal.SIGINT, signal.SIGTERM})
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)
        return False


class _NameErrors:
    def __init__(self, final: Path, staging: Path):
        self.final, self.staging = final, staging

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, OSError) and not isinstance(
                exc, errors.MassdriverError):
            name = exc.filename
            if name is None or str(name).startswith(str(self.staging)):
                raise OSError(exc.errno, exc.strerror or str(exc), str(self.final)) from None
        return False


class OutputDirectory:
    """The files of one run, staged in the output directory and committed together.

    Use as a context manager; a ``with`` block left by an exception (or without
    :meth:`commit`) aborts: the staged files are removed and the directory is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The output directory (``--out``); created if needed.
    names : iterable of str
        Every file this command may write there. Any of them that exists is refused unless
        ``force``; those this run does not write are removed at the commit (they belong to an
        earlier run).
    force : bool
        Replace existing files of those names.
    command : str
        Recorded in the manifest (``"solve"``, ``"campaign"``, ``"report"``).
    keep : iterable of str
        Files of the previous run that this run keeps (``report`` keeps the results it was
        drawn from): this run adds its files to that run, whose manifest entries and run id are
        carried over (a directory without a manifest is left without one).
    patterns : iterable of str
        Shell patterns (:mod:`fnmatch`, e.g. ``"window_*.oem"``) of further files this command
        may write, whose exact names depend on the result (``solve --export`` names its files
        after the best window). Files matching them are treated as those of ``names``: refused
        unless ``force`` when they exist, removed at the commit when this run does not write
        them.
    same_input : tuple of (str, bytes), optional
        ``(name, data)``: the copy of its input this run writes (``("mission.toml", bytes of
        the mission file)``). Without ``force``, existing files are still replaced when they
        are exactly the outputs of an earlier run of the same command on the same input: the
        directory's manifest names that command, its entry ``name`` has the SHA-256 of
        ``data``, and every file in the way is listed there with its size and SHA-256
        unchanged. Re-running a command into its own directory then just works; a file the
        user wrote or edited there still needs ``force``.

    Attributes
    ----------
    directory : pathlib.Path
        The output directory.
    staging : pathlib.Path
        Where the files are written before the commit (exists between ``__enter__`` and
        commit/abort).
    run_id : str
        The id written in the manifest.
    """

    def __init__(self, path: str | os.PathLike, names: Iterable[str], *, force: bool,
                 command: str, keep: Iterable[str] = (), patterns: Iterable[str] = (),
                 same_input: tuple[str, bytes] | None = None):
        if path is None or os.fspath(path) == "":
            raise errors.InputError("--out is empty: give an output directory")
        self.directory = Path(path)
        self.names = tuple(dict.fromkeys(check_name(n) for n in names))
        self.keep = tuple(check_name(n) for n in keep)
        self.patterns = tuple(check_name(p) for p in patterns)
        self.force = bool(force)
        self.command = command
        self.same_input = same_input
        self.run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)
        self.staging = self.directory / f"{STAGING_PREFIX}{self.run_id}{_STAGING_SUFFIX}"
        self._lock = _Lock(self.directory)
        self._created: list[Path] = []
        self._previous: dict | None = None
        self._open = False
        self._committed = False

    # -- opening -----------------------------------------------------------------------------
    def __enter__(self) -> OutputDirectory:
        try:
            self._make_directory()
            self._lock.acquire()
            self._check_existing()
            if not self.keep:                 # (a run adding files refuses them instead)
                self._clean_stale_staging()
            os.mkdir(self.staging, 0o700)
        except BaseException:
            self._release()
            raise
        self._open = True
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if not self._committed:
            self.abort()
        return False

    def _make_directory(self) -> None:
        d = self.directory
        if os.path.lexists(d) and not d.is_dir():
            raise errors.InputError(f"--out {d} exists and is not a directory")
        missing = []
        p = d
        while not os.path.lexists(p):
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        if os.path.lexists(p) and not p.is_dir():
            raise errors.InputError(f"--out {d}: {p} exists and is not a directory")
        for q in reversed(missing):
            try:
                os.mkdir(q)
            except FileExistsError:
                continue
            except OSError as exc:
                raise errors.InputError(
                    f"--out {d}: cannot create {q} ({exc.strerror or exc})") from None
            self._created.append(q)
        if not _writable(d):
            raise errors.InputError(f"--out {d}: the directory is not writable")

    def _check_existing(self) -> None:
        d = self.directory
        previous = None
        try:
            previous = read_manifest(d)
        except errors.InputError:
            previous = None                   # a foreign manifest.json: a clash like any file
        self._previous = previous
        candidates = list(self.names) + [n for n in self._matching_entries()
                                         if n not in self.names]
        if previous is not None:
            candidates += [n for n in previous["files"] if n not in candidates]
        candidates = [n for n in candidates if n not in self.keep]
        if not self.keep:
            candidates.append(MANIFEST)       # (a run that adds files updates the manifest)
        clashes = []
        for name in candidates:
            path = d / name
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                raise errors.OutputExistsError(
                    f"{path} is a directory where {self.command} writes a file; move it away")
            if stat.S_ISREG(st.st_mode) and not _writable(path):
                raise errors.OutputExistsError(
                    f"{path} is read-only; make it writable or remove it")
            clashes.append(name)
        if clashes and not self.force and not self._own_earlier_outputs(clashes):
            raise errors.OutputExistsError(
                f"{d} already holds {', '.join(clashes)}; pass --force to overwrite")

    def _declared(self, name: str) -> bool:
        """Whether ``name`` is one of this run's outputs (a name or a pattern's match)."""
        return name in self.names or any(fnmatch.fnmatchcase(name, p) for p in self.patterns)

    def _matching_entries(self) -> list[str]:
        """Entries of the directory matching ``patterns`` (not the hidden staging ones)."""
        if not self.patterns:
            return []
        return sorted(n for n in os.listdir(self.directory) if not n.startswith(".")
                      and any(fnmatch.fnmatchcase(n, p) for p in self.patterns))

    def _own_earlier_outputs(self, clashes: list[str]) -> bool:
        """Whether ``clashes`` are, untouched, the outputs of an earlier run of this command on
        the same input (see ``same_input``)."""
        previous = self._previous
        if (self.same_input is None or previous is None
                or previous.get("command") != self.command):
            return False
        name, data = self.same_input
        files = previous["files"]
        if files.get(name, {}).get("sha256") != hashlib.sha256(data).hexdigest():
            return False
        for clash in clashes:
            if clash == MANIFEST:
                continue
            entry = files.get(clash)
            path = self.directory / clash
            if entry is None or not stat.S_ISREG(os.lstat(path).st_mode):
                return False
            if _sha256_file(path) != (entry["sha256"], entry["bytes"]):
                return False
        return True

    def _clean_stale_staging(self) -> None:
        """Staging directories of interrupted runs (the lock is ours: nobody is using them)."""
        for entry in os.listdir(self.directory):
            if entry.startswith(STAGING_PREFIX) and entry.endswith(_STAGING_SUFFIX):
                p = self.directory / entry
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)

    # -- writing -----------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Where a writer that takes a path puts ``name`` (inside the private staging dir)."""
        self._check_open()
        if not self._declared(check_name(name)):
            raise ValueError(f"{name!r} is not one of this run's output names")
        return self.staging / name

    def open(self, name: str, mode: str = "wb", **kwargs: Any) -> IO:
        """Create ``name`` in the staging directory (``O_EXCL | O_NOFOLLOW``) and open it."""
        path = self.path(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        return os.fdopen(fd, mode, **kwargs)

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write ``data`` as ``name``."""
        with self.open(name, "wb") as f:
            f.write(data)

    def write_text(self, name: str, text: str) -> None:
        """Write ``text`` (UTF-8) as ``name``."""
        self.write_bytes(name, text.encode("utf-8"))

    def file_errors(self, name: str):
        """A context manager naming ``name`` (its final path) in an ``OSError`` without a file
        name (``EFBIG`` from a size limit, ``ENOSPC``...) raised while it is written."""
        return _NameErrors(self.directory / name, self.staging)

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("the output directory is not open (use it in a with block)")

    # -- commit / abort ----------------------------------------------------------------------
    def commit(self) -> dict:
        """Put every staged file in place, remove the earlier run's others, write the manifest.

        Returns
        -------
        dict
            The manifest written.
        """
        self._check_open()
        d = self.directory
        staged = sorted(os.listdir(self.staging))
        files: dict[str, dict] = {}
        prev_files = (self._previous or {}).get("files", {})
        for name in self.keep:
            if name in prev_files:
                files[name] = prev_files[name]
        for name in staged:
            if not self._declared(name):
                raise RuntimeError(f"unexpected file {name!r} in the staging directory")
            fd = os.open(self.staging / name, os.O_RDONLY | _NOFOLLOW)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise RuntimeError(f"staged {name!r} is not a regular file")
                os.fsync(fd)
                digest, size = _sha256_fd(fd)
            finally:
                os.close(fd)
            files[name] = {"bytes": size, "sha256": digest}
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if not self.keep:
            manifest = {"format": _FORMAT, "run_id": self.run_id, "command": self.command,
                        "written_utc": now}
        elif self._previous is not None:      # adding files to the run whose files are kept
            manifest = {k: v for k, v in self._previous.items() if k != "files"}
            manifest[f"{self.command}_written_utc"] = now
        else:                                 # a directory without a manifest stays without
            manifest = None
        if manifest is not None:
            manifest["files"] = dict(sorted(files.items()))
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            fd = os.open(self.staging / MANIFEST,
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
        _fsync_dir(self.staging)
        stale = [n for n in dict.fromkeys([*self.names, *prev_files, *self._matching_entries()])
                 if n not in files and n not in self.keep]
        with _Deferred():
            if manifest is not None and os.path.lexists(d / MANIFEST):
                os.unlink(d / MANIFEST)       # from here until the end: no valid manifest
            for name in staged:
                os.replace(self.staging / name, d / name)
            for name in stale:
                p = d / name
                try:
                    st = os.lstat(p)
                except FileNotFoundError:
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    os.unlink(p)
            if manifest is not None:
                os.replace(self.staging / MANIFEST, d / MANIFEST)
            _fsync_dir(d)
            os.rmdir(self.staging)
            self._committed = True
            self._open = False
            self._lock.release()
        _log.info("wrote %d file(s) into %s (run %s)%s", len(staged), d, self.run_id,
                  f"; removed {len(stale)} of an earlier run" if stale else "")
        for name in staged:
            _log.debug("  %s: %d bytes, sha256 %s", name, files[name]["bytes"],
                       files[name]["sha256"])
        return manifest or {}

    def abort(self) -> None:
        """Remove the staged files, release the lock, remove an output dir this run created."""
        if self._open:
            shutil.rmtree(self.staging, ignore_errors=True)
            self._open = False
        self._release()

    def _release(self) -> None:
        self._lock.release()
        if not self._committed:
            for q in reversed(self._created):   # deepest first
                try:
                    os.rmdir(q)
                except OSError:
                    break
            self._created = []


def _format_of(path: Path, allowed: tuple[str, ...]) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in allowed:
        raise errors.InputError(
            f"{path}: the file name must end in {', '.join('.' + a for a in allowed)} (the "
            "format follows the suffix)")
    return fmt


def check_output_file(path: str | os.PathLike, force: bool,
                      formats: tuple[str, ...] | None = None) -> Path:
    """Check, before computing, that ``path`` may be written; returns it as a Path.

    Refused: an empty path, a directory, a read-only file, a missing or unwritable parent
    directory, any existing entry (file or symlink, dangling or not) without ``force``, and a
    suffix not in ``formats`` (when given).
    """
    E = errors
    if path is None or os.fspath(path) == "":
        raise E.InputError("the output file name is empty")
    p = Path(path)
    if formats is not None:
        _format_of(p, formats)
    parent = p.parent
    if not parent.is_dir():
        raise E.InputError(f"{p}: the directory {parent} does not exist")
    if not _writable(parent):
        raise E.InputError(f"{p}: the directory {parent} is not writable")
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return p
    if stat.S_ISDIR(st.st_mode):
        raise E.OutputExistsError(f"{p} is a directory, expected a file path")
    if not force:
        raise E.OutputExistsError(f"{p} exists; pass --force to overwrite it")
    if stat.S_ISREG(st.st_mode) and not _writable(p):
        raise E.OutputExistsError(f"{p} is read-only; make it writable or remove it")
    return p


def write_file(path: str | os.PathLike, force: bool, writer: Callable[[IO[bytes]], None]) -> Path:
    """Write one file atomically: ``writer(f)`` fills a temporary beside ``path``, renamed over it.

    The temporary is created with ``O_EXCL | O_NOFOLLOW``; an existing ``path`` (a symlink
    included: the link is replaced, never its target) is replaced only with ``force``; on any
    failure the temporary is removed and ``path`` is left as it was.
    """
    p = check_output_file(path, force)
    tmp = p.parent / f".{p.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                writer(f)
                f.flush()
                os.fsync(f.fileno())
            except OSError as exc:
                if exc.filename is None:
                    raise OSError(exc.errno, exc.strerror, str(p)) from None
                raise
        check_output_file(p, force)           # nothing appeared there meanwhile
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p
