"""Writing a run's output files: checked before any work, then all of them or none.

Inside `staged_outputs()` every file is written under a temporary name beside
its target, and the files are renamed into place together when the block
ends. On any error or signal the temporaries, and any folder the run created,
are removed: a failed or interrupted export leaves nothing behind and an
existing file is left untouched. Outside such a block `output_file` stages
and commits one file on its own, so this is the one atomic writer for every
file cuecoach writes.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn

from .errors import AudioError, InputError, Problem
from .tomlfile import file_kind

AUDIO_SUFFIXES = (".mp3", ".wav")
# Names a user might give a program's output folder by mistake, thinking of one file.
_FILE_LIKE_SUFFIXES = (*AUDIO_SUFFIXES, ".ogg", ".flac", ".m4a", ".aac", ".opus", ".json", ".lrc")
_COMMAND_LINE = "(command line)"


class Staged:
    """Files written under temporary names and folders created, until commit or discard."""

    def __init__(self) -> None:
        self._temporaries: list[Path] = []  # every one made, written or not
        self._files: list[tuple[Path, Path]] = []  # (temporary, target) ready to commit
        self._folders: list[Path] = []  # created by this run, outermost first

    @contextmanager
    def file(self, path: Path, mode: int | None = None) -> Iterator[IO[bytes]]:
        """A temporary file next to `path`, staged to replace it if the block completes
        (with permissions `mode`, else those of the file it replaces or a new file's)."""
        import tempfile  # here, not at the top: every command's signal handling imports this module

        with _signals_held():  # a Ctrl-C now must find the new file listed, to remove it
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            self._temporaries.append(Path(temp))
        try:
            with os.fdopen(fd, "w+b") as file:
                yield file
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, _new_file_mode(path) if mode is None else mode)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        self._files.append((Path(temp), path))

    def folder(self, path: Path) -> None:
        """Create `path` and its missing parents, to be removed again on discard."""
        missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
        with _signals_held():
            path.mkdir(parents=True, exist_ok=True)
            self._folders.extend(reversed(missing))

    def commit(self) -> None:
        """Rename every staged file into place; AudioError if one cannot be."""
        try:
            with _signals_held():
                while self._files:
                    temp, target = self._files[0]
                    try:
                        os.replace(temp, target)
                    except OSError as err:
                        raise AudioError(f"cannot write {target}: {err.strerror or err}") from err
                    self._files.pop(0)
        except BaseException:
            self.discard()
            raise
        self._temporaries.clear()
        self._folders.clear()

    def discard(self) -> None:
        """Remove every temporary file and every folder this run created."""
        for temp in self._temporaries:
            with suppress(OSError):
                temp.unlink()
        self._temporaries.clear()
        self._files.clear()
        for folder in reversed(self._folders):
            with suppress(OSError):
                folder.rmdir()
        self._folders.clear()


_active: ContextVar[Staged | None] = ContextVar("cuecoach_staged_outputs", default=None)


@contextmanager
def staged_outputs() -> Iterator[Staged]:
    """A run whose files all appear when the block ends, or none if it fails.

    Nested blocks join the outermost one, so a function that writes its own
    file atomically becomes part of whatever run calls it.
    """
    outer = _active.get()
    if outer is not None:
        yield outer
        return
    staged = Staged()
    token = _active.set(staged)
    try:
        yield staged
    except BaseException:
        staged.discard()
        raise
    finally:
        _active.reset(token)
    staged.commit()


@contextmanager
def output_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through, as part of the current run (see above)."""
    with staged_outputs() as run, run.file(path) as file:
        yield file


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` as part of the current run; AudioError if it cannot."""
    try:
        with output_file(path) as file:
            file.write(text.encode("utf-8"))
    except OSError as err:
        raise AudioError(f"cannot write {path}: {err.strerror or err}") from err


def make_folder(path: Path) -> None:
    """Create the folder `path` (and parents); removed again if the current run fails."""
    with staged_outputs() as run:
        run.folder(path)


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Atomically write `data` to `path` now, whatever run is going on (for caches,
    whose entries are worth keeping even when the export that made them fails, and
    for files kept between runs); `mode` as for `Staged.file`."""
    staged = Staged()
    try:
        with staged.file(path, mode) as file:
            file.write(data)
    except BaseException:
        staged.discard()
        raise
    staged.commit()


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` would give (mkstemp uses 0600)."""
    with suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGHUP raise SystemExit(128 + signal) instead of
    killing the process, so that `finally` blocks run: a run's temporary files are
    removed and a terminal gets its settings back. Ctrl-C already raises
    KeyboardInterrupt. Does nothing outside the main thread, where handlers cannot be set.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    with _handling(_EXIT_SIGNALS, handler):
        yield


EXIT_INTERRUPTED = 130  # what a shell reports after Ctrl-C


def exit_interrupted() -> NoReturn:
    """End the run with status 130, the shell's "stopped by Ctrl-C", once
    everything underway has been undone.

    CPython 3.11 marks a process whose Ctrl-C escaped an ``exec`` of a string
    (dataclasses and named tuples build their methods that way, so any class
    being made at that moment) as ended by an unhandled Ctrl-C, and run with
    ``-m`` it then kills itself with SIGINT on its way out (status -2 to its
    parent), whatever status it chose. A string run to its end clears the mark.
    """
    exec("pass")  # clears the mark (see above)
    raise SystemExit(EXIT_INTERRUPTED)


def _signals(*names: str) -> tuple[int, ...]:
    """The named signals this platform has (Windows has no SIGHUP)."""
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


_EXIT_SIGNALS = _signals("SIGTERM", "SIGHUP")
_HELD_SIGNALS = _signals("SIGINT", "SIGTERM", "SIGHUP")


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay Ctrl-C and termination to the end of the block (creating or renaming
    files), so that a run is never left half in place or with a file it lost track of.

    Python runs signal handlers in the main thread whichever thread the signal
    hit, so masking signals would not do; the handlers note them instead, and
    the block's end raises them again.
    """
    pending: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    try:
        with _handling(_HELD_SIGNALS, note):
            yield
    finally:
        for signum in pending:
            signal.raise_signal(signum)


@contextmanager
def _handling(
    signums: Sequence[int], handler: Callable[[int, FrameType | None], None]
) -> Iterator[None]:
    """`handler` for `signums` inside the block, the previous handlers after it.
    Does nothing outside the main thread, where handlers cannot be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def check_outputs(
    files: Sequence[tuple[str, Path]],
    inputs: Iterable[Path],
    folder: tuple[str, Path] | None = None,
) -> None:
    """Refuse, before any work, outputs that would destroy something.

    `files` are (option, path) pairs of the files a run will write, `folder`
    the folder it will create or fill. Each must not be one of `inputs` (by
    resolved path or by device and inode, so links count), nor another output
    of the same run; existing files must be regular files, the folder a folder,
    and every file's folder must exist. Raises InputError listing every problem.
    """
    identities = {_identity(path): path for path in inputs}
    problems: list[Problem] = []
    seen: dict[tuple[object, ...], str] = {}

    def refuse(option: str, message: str) -> None:
        problems.append(Problem(_COMMAND_LINE, None, option, message))

    if folder is not None:
        option, path = folder
        if path.suffix.lower() in _FILE_LIKE_SUFFIXES:
            refuse(option, f"a program is written as a folder of MP3s; name a folder, not {path}")
        elif os.path.lexists(path) and not path.is_dir():
            refuse(option, f"{path} exists and is not a folder")
    for option, path in files:
        ident = _identity(path)
        if ident in identities:
            refuse(option, f"{path} is an input of this run; writing it would destroy it")
        elif ident in seen:
            refuse(option, f"{path} is also the {seen[ident]} output")
        elif (kind := _special_kind(path)) is not None:
            refuse(option, f"{path} is {kind}; outputs must be regular files")
        elif (folder is None or path.parent != folder[1]) and not path.parent.is_dir():
            refuse(option, f"no folder {path.parent} to write {path.name} in")
        seen.setdefault(ident, option)
        seen.setdefault(_resolved(path), option)
    if problems:
        raise InputError(problems)


def check_audio_name(option: str, path: Path) -> None:
    """Refuse an audio output whose name says a format other than the one written."""
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise InputError(
            [
                Problem(
                    _COMMAND_LINE,
                    None,
                    option,
                    f"{path} would hold MP3 audio; name it .mp3 (or .wav to write a WAV)",
                )
            ]
        )


def _resolved(path: Path) -> tuple[object, ...]:
    return ("path", str(path.resolve()))


def _identity(path: Path) -> tuple[object, ...]:
    """The same key for two names of one file: device and inode if it exists, else its path."""
    try:
        info = path.stat()
    except OSError:
        return _resolved(path)
    return ("inode", info.st_dev, info.st_ino)


def _special_kind(path: Path) -> str | None:
    try:
        return file_kind(path.stat().st_mode)
    except OSError:
        return None
