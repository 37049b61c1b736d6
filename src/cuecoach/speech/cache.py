"""A content-addressed cache of processed speech clips on disk.

One file per phrase, named by a hash of everything that decides its samples:
the engine's fingerprint (version, voice and the files that define it,
synthesis settings), the spoken text, and a digest of the code that
synthesizes and processes clips, so a change to any of them makes new
entries. Clips are 16-bit and deflated, and a rendered clip is rounded to 16
bits before it is used, so a clip from the cache is the very clip a fresh
synthesis gives: output never depends on what the cache holds.

Files are written to a temporary name in the same folder and renamed into
place, so parallel processes can share the cache and a reader never sees half
a file. Each carries its length and a checksum; an entry that fails them, or
that is not a regular file (a pipe, a link to a device), is treated as
missing and synthesized again. The folder is kept under `MAX_BYTES` by
deleting the least recently used entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..audio import Clip, Samples
from ..outputs import replace_file
from ..userdirs import user_folder
from .engine import notice

# Bump when the file layout changes (the code digest covers processing changes).
FORMAT_VERSION = 2
SUFFIX = ".clip"
MAX_BYTES = 200_000_000  # the cache's size limit
# No clip is near this big (an hour of 16-bit speech is 160 MB); anything larger is not ours.
MAX_ENTRY_BYTES = 64_000_000
_MAGIC = b"CCCLIP02"
# magic, sample rate, sample count, CRC-32 of the compressed bytes
_HEADER = struct.Struct("<8sIQI")
_FULL_SCALE = 32767


def default_cache_dir() -> Path:
    """The per-user cache folder for speech clips (honours XDG_CACHE_HOME on Linux)."""
    return user_folder("cache") / "speech"


def quantize(samples: Samples) -> Samples:
    """`samples` rounded to the 16-bit values the cache stores (idempotent)."""
    return _from_int16(_to_int16(samples))


def _to_int16(samples: Samples) -> np.ndarray[tuple[int], np.dtype[np.int16]]:
    return np.round(np.clip(samples, -1.0, 1.0) * _FULL_SCALE).astype("<i2")


def _from_int16(pcm: np.ndarray[tuple[int], np.dtype[np.int16]]) -> Samples:
    return (pcm.astype(np.float32) / np.float32(_FULL_SCALE)).astype(np.float32)


@cache
def code_digest() -> str:
    """A hash of the source that synthesizes and processes clips (speech/ and audio.py)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    speech = sorted((package / "speech").glob("*.py"), key=lambda e: e.name)
    sources = [package / "audio.py", *speech]
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def cache_key(*, fingerprint: str, volume: float, sample_rate: int, text: str) -> str:
    """The hex digest naming the entry for one spoken text with these settings."""
    fields = [FORMAT_VERSION, code_digest(), fingerprint, round(volume, 4), sample_rate, text]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` when it is a regular file of a sane size, else None.

    Opened without blocking and checked on the open file, so a named pipe or
    a link to a device is refused at once instead of hanging or filling memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            notice(f"warning: {path}: not a cached clip, ignored (synthesizing again)")
            return None
        return f.read(MAX_ENTRY_BYTES + 1)


class ClipCache:
    """Processed clips stored under `folder`, keyed by `cache_key`."""

    def __init__(self, folder: Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder if folder is not None else default_cache_dir()
        self.max_bytes = max_bytes
        self._evicted = False

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> Clip | None:
        """The stored clip, or None when absent, truncated, corrupt or not a file."""
        path = self._path(key)
        data = _read_regular(path)
        if data is None or len(data) < _HEADER.size:
            return None
        magic, rate, count, crc = _HEADER.unpack_from(data)
        payload = data[_HEADER.size :]
        if magic != _MAGIC or zlib.crc32(payload) != crc or rate == 0:
            return None
        try:
            raw = zlib.decompress(payload, bufsize=count * 2)
        except zlib.error:
            return None
        if len(raw) != count * 2:
            return None
        # Touched so that eviction drops the least recently used first.
        with contextlib.suppress(OSError):
            os.utime(path)
        return Clip(_from_int16(np.frombuffer(raw, dtype="<i2")), rate)

    def store(self, key: str, clip: Clip) -> None:
        """Write `clip` (already `quantize`d) atomically; a failure only loses the caching."""
        payload = zlib.compress(_to_int16(clip.samples).tobytes(), 6)
        header = _HEADER.pack(_MAGIC, clip.sample_rate, len(clip.samples), zlib.crc32(payload))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            replace_file(self._path(key), header + payload)
        except OSError:
            return
        if not self._evicted:
            # Once per process is enough: one run adds far less than the limit.
            self._evicted = True
            evict(self.folder, self.max_bytes)


def _entries(folder: Path) -> list[tuple[Path, os.stat_result]]:
    found = []
    try:
        listing = list(folder.iterdir())
    except OSError:
        return []
    for path in listing:
        if path.name.endswith(SUFFIX) and not path.name.startswith("."):
            with contextlib.suppress(OSError):
                found.append((path, path.lstat()))
    return found


def evict(folder: Path, max_bytes: int) -> int:
    """Delete the least recently used entries until the folder holds at most `max_bytes`."""
    entries = sorted(_entries(folder), key=lambda e: e[1].st_mtime_ns)
    total = sum(info.st_size for _, info in entries)
    removed = 0
    for path, info in entries:
        if total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
            total -= info.st_size
    return removed


@dataclass(frozen=True)
class CacheInfo:
    """What `cuecoach cache info` shows."""

    folder: Path
    entries: int
    size: int  # bytes
    limit: int  # bytes


def cache_info(folder: Path | None = None) -> CacheInfo:
    """Location, number of entries, total bytes and size limit of the speech cache."""
    folder = folder if folder is not None else default_cache_dir()
    entries = _entries(folder)
    return CacheInfo(folder, len(entries), sum(info.st_size for _, info in entries), MAX_BYTES)


def cache_clear(folder: Path | None = None) -> tuple[int, list[str]]:
    """Delete every cached clip (and stray temporary files).

    Returns the number of entries removed and a message for each thing that
    could not be removed (a folder where an entry should be, a read-only
    cache): those are worth a warning, never a crash.
    """
    folder = folder if folder is not None else default_cache_dir()
    removed = 0
    problems: list[str] = []
    try:
        listing = list(folder.iterdir())
    except FileNotFoundError:
        return 0, []
    except OSError as exc:
        return 0, [f"{folder}: cannot read the cache ({exc.strerror or exc})"]
    for path in listing:
        if not path.name.endswith(SUFFIX):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                problems.append(f"{path}: a folder, not a cached clip; left in place")
                continue
            path.unlink()
            removed += not path.name.startswith(".")
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot remove ({exc.strerror or exc})")
    return removed, problems
