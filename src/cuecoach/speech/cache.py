"""A content-addressed cache of processed speech clips on disk.

One file per phrase, named by a hash of everything that decides its samples.
Files are written to a temporary name in the same folder and renamed into
place, so parallel processes can share the cache and a reader never sees half
a file. Each file carries its length and a checksum; an entry that fails them
is treated as missing (and overwritten by the next store), never returned.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import platformdirs

from ..audio import Clip

# Bump when clip processing changes, so old entries are no longer found.
FORMAT_VERSION = 1
SUFFIX = ".clip"
_MAGIC = b"CCCLIP01"
# magic, sample rate, sample count, CRC-32 of the sample bytes
_HEADER = struct.Struct("<8sIQI")


def default_cache_dir() -> Path:
    """The per-user cache folder for speech clips (honours XDG_CACHE_HOME on Linux)."""
    return Path(platformdirs.user_cache_dir("cuecoach")) / "speech"


def cache_key(
    *, engine: str, version: str, voice: str, rate: int, volume: float, sample_rate: int, text: str
) -> str:
    """The hex digest naming the entry for one phrase spoken with these settings."""
    fields = [FORMAT_VERSION, engine, version, voice, rate, round(volume, 4), sample_rate, text]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


class ClipCache:
    """Processed clips stored under `folder`, keyed by `cache_key`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> Clip | None:
        """The stored clip, or None when absent, truncated or corrupt."""
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        if len(data) < _HEADER.size:
            return None
        magic, rate, count, crc = _HEADER.unpack_from(data)
        payload = data[_HEADER.size :]
        if magic != _MAGIC or len(payload) != count * 4 or zlib.crc32(payload) != crc or rate == 0:
            return None
        return Clip(np.frombuffer(payload, dtype="<f4").astype(np.float32), rate)

    def store(self, key: str, clip: Clip) -> None:
        """Write `clip` atomically; a failure to write only loses the caching."""
        payload = clip.samples.astype("<f4").tobytes()
        header = _HEADER.pack(_MAGIC, clip.sample_rate, len(clip.samples), zlib.crc32(payload))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=SUFFIX)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(payload)
            os.replace(temp, self._path(key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def cache_info(folder: Path | None = None) -> tuple[Path, int, int]:
    """(location, number of entries, total bytes) of the speech cache."""
    folder = folder if folder is not None else default_cache_dir()
    entries = [p for p in folder.glob(f"*{SUFFIX}") if not p.name.startswith(".")]
    total = 0
    for path in entries:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return folder, len(entries), total


def cache_clear(folder: Path | None = None) -> int:
    """Delete every cached clip (and stray temporary files); the number of entries removed."""
    folder = folder if folder is not None else default_cache_dir()
    removed = 0
    for path in folder.glob(f"*{SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += not path.name.startswith(".")
    return removed
