"""Files as the export writes them: atomically, and under safe names.

A file is written to a temporary name beside its destination and moved into
place only once complete, keeping an existing file's permissions, so an
error or an interruption never leaves a partial file behind. Titles become
file names and playlist lines here too.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO


def one_line(text: str) -> str:
    return " ".join(text.split())


def file_name(title: str) -> str:
    """`title` made safe as a file name on every common file system."""
    name = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "-", one_line(title)).strip(" .-")
    return name[:80].rstrip(" .-") or "session"


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file next to `path` that replaces it only if the block completes."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w+b") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` would give (mkstemp uses 0600)."""
    with suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
