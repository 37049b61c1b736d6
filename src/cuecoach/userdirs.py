"""Where cuecoach keeps the user's own files: its config, cache and data folders.

platformdirs knows every system's rules, but importing it loads tempfile,
shutil and random, about five milliseconds on every command that reads the
user's config (`check` and `script` among them). On Linux the rule is the XDG
Base Directory one: ``$XDG_CONFIG_HOME`` when it is an absolute path, else
``~/.config``, and so on. That case is answered here; any other system, or a
home folder that is not an absolute path, is left to platformdirs.
tests/test_userdirs.py holds the two to the same answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

APP_NAME = "cuecoach"
Kind = Literal["config", "cache", "data"]
# The XDG variable of each folder, and where it is under the home folder when unset.
_XDG: dict[Kind, tuple[str, str]] = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "data": ("XDG_DATA_HOME", ".local/share"),
}


def user_folder(kind: Kind) -> Path:
    """The user's `kind` folder for cuecoach, such as ``~/.config/cuecoach``."""
    # Android reports itself as Linux but has platformdirs rules of its own.
    if sys.platform == "linux" and "ANDROID_ROOT" not in os.environ:
        variable, under_home = _XDG[kind]
        if os.path.isabs(chosen := os.environ.get(variable, "")):
            return Path(chosen, APP_NAME)
        if os.path.isabs(home := os.environ.get("HOME", "")):
            return Path(home, under_home, APP_NAME)
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME)
    if kind == "config":
        return Path(dirs.user_config_dir)
    return Path(dirs.user_cache_dir if kind == "cache" else dirs.user_data_dir)
