"""Text on its way to a terminal: the one place control characters are made harmless.

A title, exercise name or wording phrase comes from a file, and a file can
hold escape sequences that retitle the window, clear the screen or worse.
Everything that prints such text (the CLI, the live display) passes it here.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 controls (U+009B is a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """`text` with its control characters written out, like ``\\x1b``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
