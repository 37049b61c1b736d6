"""Single keypresses without Enter: termios cbreak on POSIX, msvcrt on Windows."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Any, Protocol

# Arrow and function keys arrive as escape sequences ("\x1b[A", "\x1bOP"); their
# letters must not read as commands (F1 would otherwise be "p").
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)


class KeySource(Protocol):
    """Keys pressed since the last poll; never blocks."""

    def poll(self) -> list[str]:
        """The keys pressed since the last call, oldest first."""
        ...

    def close(self) -> None:
        """Give the terminal back as it was."""
        ...


class NoKeys:
    """No controls: the session plays hands-free to the end (stdin is not a terminal)."""

    def poll(self) -> list[str]:
        """Always nothing."""
        return []

    def close(self) -> None:
        """Nothing to restore."""


class TerminalKeys:
    """Reads keys from the terminal on stdin, one at a time, without echo.

    POSIX: the terminal goes into cbreak mode (signals stay on, so Ctrl-C
    still raises KeyboardInterrupt) until `close`, which restores it exactly.
    """

    def __init__(self) -> None:
        self._fd = sys.stdin.fileno()
        self._saved: list[Any] | None = None
        if sys.platform != "win32":
            import termios
            import tty

            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd, termios.TCSANOW)

    def poll(self) -> list[str]:
        """Whatever has been typed, without waiting."""
        if sys.platform == "win32":
            import msvcrt

            keys: list[str] = []
            while msvcrt.kbhit():
                key = msvcrt.getwch()
                if key in ("\x00", "\xe0"):  # arrow or function key: drop its second code
                    msvcrt.getwch()
                else:
                    keys.append(key)
            return keys
        import select

        data = b""
        while select.select([self._fd], [], [], 0)[0]:
            chunk = os.read(self._fd, 64)
            if not chunk:
                break
            data += chunk
        return list(_ESCAPE_SEQUENCE.sub("", data.decode(errors="replace")))

    def close(self) -> None:
        """Restore the terminal settings saved when opened."""
        if sys.platform != "win32" and self._saved is not None:
            import termios

            # The terminal may be gone (SIGHUP): nothing left to restore then.
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
