"""The one output layer every command writes through (issue 20): all or nothing, never over
what the user made, OS errors in one line, progress on a terminal or in a log.

A leaf module: the standard library only at import (tqdm is imported when a bar is shown), so
any command and any stage can use it without start-up cost.

* :class:`OutputSet` / :func:`atomic_outputs` / :func:`atomic_write`: files written to
  temporary names beside their targets and renamed only when every one is complete; any
  failure (bad path, read-only folder, full disk, Ctrl-C, an exception in any stage) deletes
  the temporary files, so outputs appear complete or not at all. Modes follow the umask.
* :func:`output_folder`: a whole folder (``demo --out``) built under a temporary name and
  swapped in at the end, after :func:`check_output_folder` has refused ``.``, ``..``, the home
  folder, any input's folder and a non-empty folder this command did not make (unless
  ``force``). A folder this toolkit made holds a marker file, :data:`MARKER`.
* :func:`os_error_text`: an :class:`OSError` as one line naming the path and what to do.
* :func:`progress`: a tqdm bar on a terminal, one line per stage otherwise (job logs).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from toolkit.exceptions import UsageError

#: The marker file a command writes into a folder it owns (``demo --out``, ``sweep --out``):
#: a non-empty folder without it is the user's, and is never replaced without ``--force``.
MARKER = ".recall-toolkit-output.json"

# -- OS errors in one line -----------------------------------------------------------------------

_ADVICE = {
    errno.EROFS: "the file system is read-only; choose a folder on a writable disk",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "not permitted; choose a folder you can write to",
    errno.ENOSPC: "the disk is full; free some space or choose another disk",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another disk",
    errno.ENAMETOOLONG: "the name is too long for the file system; choose a shorter name",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EBUSY: "it is busy (a mount point, or in use); choose another path",
    errno.EXDEV: "it is on another file system; choose a path on the same disk",
    errno.EMFILE: "too many open files; close other programs or raise the limit (ulimit -n)",
    errno.EIO: "an input/output error on the device; check the disk",
}


def os_error_text(exc: OSError, path: str | Path | None = None, action: str = "write") -> str:
    """One line for an OS error: the path, what failed, why and what to do.

    Parameters
    ----------
    exc : OSError
    path : path, optional
        The path to name (default: the error's own ``filename``).
    action : str
        What was being done: ``"write"``, ``"read"``, ``"create"``...

    Examples
    --------
    >>> import errno
    >>> os_error_text(OSError(errno.EROFS, "Read-only file system"), "/mnt/x.csv")
    '/mnt/x.csv: cannot write (Read-only file system): the file system is read-only; choose a folder on a writable disk'
    """  # noqa: E501
    where = str(path if path is not None else (exc.filename or "output"))
    if len(where) > 160:  # a name too long to be useful in full: its start and its end
        where = f"{where[:100]}...{where[-40:]} ({len(where)} characters)"
    why = exc.strerror or str(exc) or type(exc).__name__
    advice = _ADVICE.get(exc.errno or -1, "check the path and try again")
    return f"{where}: cannot {action} ({why}): {advice}"


def _name_fits(path: Path) -> None:
    """Refuse a file name longer than the folder's file system allows, before any work."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    size = len(os.fsencode(path.name))
    if size > limit:
        raise UsageError(
            f"{str(path)[:100]}...: the file name is {size} bytes; the file system allows "
            f"{limit}; choose a shorter name"
        )


def _tmp_prefix(name: str) -> str:
    # Temporary names stay within NAME_MAX whatever the target's length.
    return f".{name[:80]}."


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Ctrl-C is held by deferring Python's SIGINT handler, not by masking the signal: the kernel
# delivers a process-directed SIGINT to any thread that has it unmasked (a Dask, tqdm or BLAS
# thread), and Python then runs the handler in the main thread at once, so a mask on the main
# thread alone does not hold it (seen: a sweep's renames interrupted after a thread started).
_HOLD = {"depth": 0, "previous": None, "pending": False}


def _deferred_sigint(signum, frame) -> None:
    _HOLD["pending"] = True


def _block_sigint():
    """Start holding SIGINT (nested holds count); return a token for :func:`_unblock_sigint`
    (None where Python cannot set handlers: outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if _HOLD["depth"] == 0:
        _HOLD["previous"] = signal.signal(signal.SIGINT, _deferred_sigint)
        _HOLD["pending"] = False
    _HOLD["depth"] += 1
    return True


def _unblock_sigint(token) -> None:
    """End one hold; when the outermost ends, restore the handler and deliver a SIGINT that
    arrived meanwhile to it (the default handler raises KeyboardInterrupt)."""
    if token is None:
        return
    _HOLD["depth"] -= 1
    if _HOLD["depth"] > 0:
        return
    previous, pending = _HOLD["previous"], _HOLD["pending"]
    _HOLD["previous"], _HOLD["pending"] = None, False
    signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if pending:
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt


@contextmanager
def no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (a few renames that must not stop half-way); the
    signal is delivered after it."""
    blocked = _block_sigint()
    try:
        yield
    finally:
        _unblock_sigint(blocked)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C with a note saying what was left (the CLI prints it instead of "no output
    written"), e.g. a sweep's checkpoint and how to resume it."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


# -- hashes and JSON -----------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def json_default(o):
    """JSON for numpy scalars (without importing numpy: they all have ``.item()``)."""
    item = getattr(o, "item", None)
    if callable(item) and type(o).__module__ == "numpy":
        return item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def json_text(obj) -> str:
    """Indented JSON with a final newline (key order kept: it is meaningful)."""
    return json.dumps(obj, indent=2, default=json_default) + "\n"


# -- files, all or nothing -----------------------------------------------------------------------


class _Hashes(Mapping):
    """sha256 of each written output, computed when first asked for.

    Most commands never read the hash of what they write (``simulate`` streams 185 MB of
    records whose hash nobody uses: 0.15 s of CPU, 6% of the command), so a file is hashed only
    when a manifest asks, from wherever it is then (the temporary file, or the target after
    the set is committed).
    """

    def __init__(self) -> None:
        self._where: dict[Path, Path] = {}
        self._done: dict[Path, str] = {}

    def _written(self, key: Path, where: Path) -> None:
        self._where[key] = where
        self._done.pop(key, None)

    def _moved(self, key: Path) -> None:
        """The output was renamed onto its target (a hash already taken stays)."""
        self._where[key] = key

    def __getitem__(self, key: Path) -> str:
        if key not in self._done:
            self._done[key] = file_sha256(self._where[key])
        return self._done[key]

    def __iter__(self) -> Iterator[Path]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class OutputSet:
    """Several output files written all or nothing.

    :meth:`reserve` each output as soon as its path is known (before the work starts): that
    creates an empty temporary file beside it, so an output that cannot be written is refused
    before any time is spent. :meth:`write` fills a reserved temporary file. :meth:`commit`
    renames every temporary file onto its target only when all have been written, with the
    mode the umask gives; leaving the ``with`` block by an exception (including Ctrl-C)
    deletes them all, so no output is written. :attr:`sha256` holds the sha256 of every file
    written (the bytes on disk), for manifests.

    Use through :func:`atomic_outputs`::

        with atomic_outputs() as out:
            out.reserve(args.out)
            out.reserve(args.summary)
            ...  # the work
            out.write(args.out, lambda tmp: df.to_parquet(tmp))
            out.write_json(summary, args.summary)
        # here both files exist, or neither does
    """

    def __init__(self) -> None:
        self._tmp: dict[Path, Path] = {}
        self._written: set[Path] = set()
        self._inputs: set[str] = set()
        self.sha256: Mapping[Path, str] = _Hashes()

    def protect(self, *inputs: str | Path | None) -> None:
        """Declare the command's input files: an output that is one of them is refused.

        Raises
        ------
        UsageError
            If an already reserved output is one of ``inputs``.
        """
        for p in inputs:
            if p is not None:
                self._inputs.add(os.path.realpath(p))
        for key in self._tmp:
            self._refuse_input(key)

    def _refuse_input(self, path: str | Path) -> None:
        if os.path.realpath(path) in self._inputs:
            raise UsageError(
                f"{path}: is also an input of this command; outputs never overwrite inputs, "
                "choose another output path"
            )

    @staticmethod
    def _key(path: str | Path) -> Path:
        return Path(os.path.abspath(path))

    def reserve(self, path: str | Path) -> Path:
        """Create the temporary file for ``path`` and return it.

        Raises
        ------
        UsageError
            If the folder does not exist or cannot be written, ``path`` is a folder or too
            long a name, or the same path is given twice.
        """
        key = self._key(path)
        if key in self._tmp:
            raise UsageError(f"{path}: the same output file is given twice")
        self._refuse_input(key)
        folder = Path(path).parent
        if not folder.is_dir():
            what = "does not exist (it is a file)" if folder.exists() else "does not exist"
            raise UsageError(
                f"{path}: directory {folder} {what}; create it or choose another output path"
            )
        if key.is_dir():
            raise UsageError(f"{path}: is a directory; give a file name")
        _name_fits(key)
        try:
            fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(key.name), suffix=".tmp", dir=key.parent)
        except OSError as exc:
            raise UsageError(os_error_text(exc, folder if str(folder) else ".")) from None
        os.close(fd)
        self._tmp[key] = Path(tmp)
        return Path(tmp)

    def write(self, path: str | Path, write: Callable[[Path], None]) -> None:
        """Call ``write(tmp_path)`` for output ``path`` (reserving it first if needed).

        An :class:`OSError` while writing (full disk, quota) is a :class:`UsageError` naming
        ``path``; the temporary file is deleted with the others when the set is discarded.
        """
        key = self._key(path)
        tmp = self._tmp.get(key) or self.reserve(path)
        try:
            write(tmp)
            self.sha256._written(key, tmp)
        except OSError as exc:
            raise UsageError(os_error_text(exc, path)) from None
        self._written.add(key)

    def write_bytes(self, path: str | Path, data: bytes) -> None:
        """Write ``data`` as output ``path``."""
        self.write(path, lambda tmp: tmp.write_bytes(data))

    def write_text(self, path: str | Path, text: str) -> None:
        """Write ``text`` (UTF-8, ``\\n`` line ends) as output ``path``."""
        self.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_json(self, obj: dict, path: str | Path) -> None:
        """Write ``obj`` as indented JSON (key order kept: it is meaningful)."""
        self.write_text(path, json_text(obj))

    def sha256_of(self, path: str | Path) -> str:
        """sha256 of the bytes written for ``path`` (after :meth:`write`)."""
        return self.sha256[self._key(path)]

    def commit(self) -> None:
        """Rename every temporary file onto its target (all were written, or raise)."""
        unwritten = [k for k in self._tmp if k not in self._written]
        if unwritten:  # a reserved output nobody wrote: a bug in the command, not user input
            raise RuntimeError(f"outputs reserved but never written: {unwritten}")
        mode = 0o666 & ~_umask()
        # Block Ctrl-C while renaming so the set cannot end half renamed.
        blocked = _block_sigint()
        try:
            for tmp in self._tmp.values():
                os.chmod(tmp, mode)  # mkstemp makes 0600; outputs get the usual mode
            for key, tmp in list(self._tmp.items()):
                os.replace(tmp, key)
                del self._tmp[key]
                self.sha256._moved(key)
        except OSError as exc:
            raise UsageError(os_error_text(exc, exc.filename2 or exc.filename)) from None
        finally:
            _unblock_sigint(blocked)

    def discard(self) -> None:
        """Delete every temporary file (nothing is written)."""
        for tmp in self._tmp.values():
            try:
                tmp.unlink()
            except OSError:
                pass
        self._tmp.clear()


@contextmanager
def atomic_outputs() -> Iterator[OutputSet]:
    """An :class:`OutputSet` committed when the block succeeds and discarded otherwise."""
    outputs = OutputSet()
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise
    try:
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> str:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` onto ``path`` (a one-file set).

    Returns
    -------
    str
        sha256 of the bytes written.

    Raises
    ------
    UsageError
        If the folder does not exist or cannot be written (one line, with what to do).
    """
    with atomic_outputs() as out:
        out.write(path, write)
    return out.sha256[out._key(path)]


def write_text(path: str | Path, text: str) -> str:
    """Write ``text`` (UTF-8) atomically; return its sha256."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(obj: dict, path: str | Path) -> str:
    """Write JSON atomically (key order kept); return its sha256."""
    return write_text(path, json_text(obj))


# -- folders a command owns ----------------------------------------------------------------------


def _within(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def read_marker(folder: str | Path) -> dict | None:
    """The marker of a folder this toolkit made (``{"command": ...}``), or None."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def marker_text(command: str) -> str:
    """What :data:`MARKER` holds: the command that made the folder."""
    return json_text({"command": command, "made_by": "recall-toolkit"})


def check_output_folder(
    path: str | Path,
    *,
    command: str,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
    owned: Callable[[Path], bool] | None = None,
    force_does: str = "replace it (what is in it is deleted)",
) -> Path:
    """Refuse an output folder that would lose something of the user's.

    Refused whatever ``force`` says: the current folder or one above it (``.``, ``..``), the
    home folder or one above it, a folder holding any of ``inputs``, a mount point, a file.
    Refused unless ``force``: a non-empty folder that holds no marker of ``command``
    (:data:`MARKER`; or ``owned(folder)`` is true, for outputs made before the marker).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    UsageError
        Naming the folder, what is in it, and what to do.
    """
    path = Path(path)
    real = os.path.realpath(path)
    flag = "--out"
    if _within(os.path.realpath(os.getcwd()), real):
        raise UsageError(
            f"{flag} {path}: is the current folder or a folder above it; give a new folder "
            f"name, e.g. {flag} {command}-out"
        )
    home = os.path.realpath(os.path.expanduser("~"))
    if _within(home, real):
        raise UsageError(
            f"{flag} {path}: is your home folder or a folder above it; give a new folder name"
        )
    for inp in inputs:
        if inp is not None and _within(os.path.realpath(inp), real):
            raise UsageError(
                f"{flag} {path}: holds an input of this command ({inp}); outputs never replace "
                "inputs; give a new folder name"
            )
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: is a file; give a folder name")
    if not path.exists():
        return path
    if os.path.ismount(path):
        raise UsageError(f"{flag} {path}: is a mount point; give a folder inside it")
    try:
        entries = sorted(os.listdir(path))
    except OSError as exc:
        raise UsageError(os_error_text(exc, path, "read")) from None
    if not entries:
        return path
    marker = read_marker(path)
    if (marker is not None and marker.get("command") == command) or (owned and owned(path)):
        return path
    if force:
        return path
    shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
    made = (
        f"made by `recall-toolkit {marker.get('command')}`"
        if marker
        else f"not made by `recall-toolkit {command}`"
    )
    raise UsageError(
        f"{flag} {path}: is not empty and {made} (it holds {shown}); choose a new or empty "
        f"folder, or add --force to {force_does}"
    )


@contextmanager
def output_folder(
    path: str | Path,
    *,
    command: str,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
) -> Iterator[Path]:
    """Build a folder of outputs under a temporary name; swap it in at the end.

    :func:`check_output_folder` runs first. Files are written into the yielded temporary
    folder (beside ``path``, so the rename is atomic), with the marker written last; if the
    block fails or is interrupted the temporary folder is deleted and ``path`` is untouched.
    An existing ``path`` (a previous output of ``command``, an empty folder, or with
    ``force``) is replaced only when the new folder is complete.

    Raises
    ------
    UsageError
        If the folder is refused, its parent does not exist or cannot be written.
    """
    path = Path(path)
    check_output_folder(path, command=command, force=force, inputs=inputs)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--out {path}: the folder {parent} does not exist; create it first")
    _name_fits(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path.name), suffix=".partial", dir=parent))
    except OSError as exc:
        raise UsageError(os_error_text(exc, parent, "create a folder in")) from None
    try:
        try:
            yield tmp
            (tmp / MARKER).write_text(marker_text(command), encoding="utf-8")
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; an ordinary folder
        except OSError as exc:
            raise UsageError(os_error_text(exc, path)) from None
        blocked = _block_sigint()
        try:
            _swap_in(tmp, path)
        except OSError as exc:
            raise UsageError(os_error_text(exc, path, "replace")) from None
        finally:
            _unblock_sigint(blocked)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, path: Path) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    old = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path.name), suffix=".old", dir=tmp.parent))
    try:
        os.replace(path, old / "previous")
    except OSError:
        old.rmdir()
        raise
    try:
        os.replace(tmp, path)
    except OSError:
        os.replace(old / "previous", path)  # put the previous output back
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)


# -- progress ------------------------------------------------------------------------------------


#: Seconds a command runs before its log lines start: a command that ends (or fails) sooner
#: writes none, so a quick run's log holds only its result or its one-line error.
QUIET_SECONDS = 2.0


def _env_progress() -> str:
    """``RECALL_TOOLKIT_PROGRESS``: ``0``/``off`` none, ``bar`` a bar, ``lines`` every line at
    once (no quiet start); anything else: the default."""
    v = os.environ.get("RECALL_TOOLKIT_PROGRESS", "").strip().lower()
    return {"0": "off", "off": "off", "bar": "bar", "tty": "bar", "lines": "lines"}.get(v, "")


class Progress:
    """Progress of a command: a tqdm bar on a terminal; one line per stage otherwise.

    Create with :func:`progress`. Stages: :meth:`stage` names the stage starting now (on a
    terminal it is shown beside the bar); :meth:`update` marks it done, which in a log writes
    one line ``<desc>: [i/n] <stage> (<seconds> s)``. A line is written when a stage ends, and
    lines are held until the command has run :data:`QUIET_SECONDS` (then written together):
    a command that stops on an error early prints only the error, a quick one only its
    result. Counts (points, replications): :meth:`count` sets how many of ``total`` are done
    (in a log one line at each tenth). ``tty=False`` writes lines at once (no quiet start).

    ``set_postfix_str``/``set_description`` (as tqdm spells them) are :meth:`stage`.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        unit: str = "step",
        tty: bool | None = None,
        log: bool = True,
        stream=None,
    ):
        self.total = int(total)
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        forced = _env_progress()
        asked_lines = tty is False
        if tty is None:
            tty = forced == "bar" if forced in ("bar", "lines") else _isatty(self.stream)
        self.tty = bool(tty) and forced != "off"
        self.log = log and not self.tty and forced != "off"
        self.quiet = 0.0 if forced == "lines" or asked_lines else QUIET_SECONDS
        self._held: list[str] = []
        self.done = 0
        self._pending: tuple[int, str, float] | None = None
        self._tenth = 0
        self._start = time.perf_counter()
        self._bar = None
        if self.tty:
            from tqdm.auto import tqdm

            # shutil falls back to $COLUMNS/$LINES or 80x24 when a pseudo-terminal reports a
            # size of zero, where tqdm would draw an empty bar or hide it.
            size = shutil.get_terminal_size()
            self._bar = tqdm(
                total=self.total,
                desc=desc,
                unit=unit,
                leave=False,
                file=self.stream,
                ncols=size.columns,
                nrows=size.lines,
            )

    def _line(self, text: str) -> None:
        self._held.append(f"{self.desc}: {text}")
        if time.perf_counter() - self._start < self.quiet:
            return  # held: written once the command has run for `quiet` seconds
        try:
            print("\n".join(self._held), file=self.stream, flush=True)
        except (OSError, ValueError):  # a closed log: progress is never worth failing for
            self.log = False
        self._held.clear()

    def stage(self, name: str) -> None:
        """A new stage starts; :meth:`update` when it is done."""
        self._pending = (self.done + 1, name, time.perf_counter())
        if self._bar is not None:
            self._bar.set_postfix_str(name)

    def update(self, n: int = 1) -> None:
        """``n`` more steps done (the current stage is finished)."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.log and self._pending is not None:
            i, name, t0 = self._pending
            self._line(f"[{i}/{self.total}] {name} ({time.perf_counter() - t0:.1f} s)")
        self._pending = None

    def count(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` units finished (a sweep's points, a simulation's replications)."""
        if total is not None:
            self.total = int(total)
        self.done = int(done)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.n = self.done
            self._bar.refresh()
        elif self.log and self.total > 0:
            tenth = 10 * self.done // self.total
            if tenth > self._tenth:
                self._tenth = tenth
                elapsed = time.perf_counter() - self._start
                self._line(f"{self.done:,}/{self.total:,} {self.unit}s ({elapsed:.1f} s)")

    # tqdm's spelling, so code written against a bar keeps working
    set_postfix_str = stage
    set_description = stage

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(total: int, desc: str, *, unit: str = "step", tty: bool | None = None) -> Progress:
    """A :class:`Progress` for a command (``desc`` is its name, e.g. ``"demo"``).

    On a terminal (stderr) a tqdm bar; otherwise (a file, a pipe, a job scheduler's log) one
    line per finished stage on stderr, once the command has run :data:`QUIET_SECONDS`.
    ``tty`` forces either; the environment variable ``RECALL_TOOLKIT_PROGRESS`` set to ``0``
    silences both, ``bar`` forces the bar, ``lines`` writes every line at once.
    """
    return Progress(total, desc, unit=unit, tty=tty)
