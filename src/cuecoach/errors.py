"""The one error hierarchy of cuecoach.

Library code raises these; only the CLI turns them into messages and exit
status 2. Nothing here knows about click.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


# No order=True: problems are put in file order by `checker.problem_order`
# (comparing two would trip over a missing line), and each generated method
# costs every command's start-up.
@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in an input file.

    Rendered as ``FILE:LINE: key.path: message``; the line is left out when
    the parser cannot know it, the key path is always there.
    """

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}"


class CuecoachError(Exception):
    """Base of every error cuecoach raises on purpose (exit status 2 at the CLI)."""


class InputError(CuecoachError):
    """A session, program, wording, library or config file is unusable.

    Carries every problem found in the file, not only the first.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SpeechError(CuecoachError):
    """No text-to-speech engine could be loaded, or a voice/setting is unusable."""


class AudioError(CuecoachError):
    """Rendering, encoding, decoding or playing audio failed."""
