"""Where the files that ship inside the package (library, wording, sounds, the
web player) live.

A plain path beside this module: pip installs packages as folders, and
`importlib.resources` would cost every command several milliseconds of imports
(zipfile, tempfile, shutil) at start-up.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
PLAYER_DIR = Path(__file__).parent / "publish" / "player"
