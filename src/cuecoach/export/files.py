"""Titles made into safe file names and playlist lines.

The files themselves are written atomically by `cuecoach.outputs`.
"""

from __future__ import annotations

import re


def one_line(text: str) -> str:
    return " ".join(text.split())


def file_name(title: str) -> str:
    """`title` made safe as a file name on every common file system."""
    name = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "-", one_line(title)).strip(" .-")
    return name[:80].rstrip(" .-") or "session"
