"""The user's folders: on Linux cuecoach follows the XDG rules itself (to start
fast); its answers must stay those of platformdirs, which decides elsewhere."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from conftest import UserDirs
from cuecoach.userdirs import Kind, user_folder

XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
PLATFORMDIRS = {
    "config": platformdirs.user_config_dir,
    "cache": platformdirs.user_cache_dir,
    "data": platformdirs.user_data_dir,
}


# (value of every XDG variable, value of HOME); "HOME" stands for the test's home
# folder, None for unset.
@pytest.mark.parametrize(
    ("xdg", "home"),
    [("HOME/xdg", "HOME"),           # set: used as given
     (None, "HOME"),                 # unset: under the home folder
     ("", "HOME"),                   # empty counts as unset
     ("relative/xdg", "HOME"),       # relative paths are ignored, as the spec says
     (None, "HOME/"),                # a home with a trailing slash
     (None, "relative-home")],       # no absolute home: platformdirs decides
)  # fmt: skip
@pytest.mark.parametrize("kind", ["config", "cache", "data"])
def test_user_folders_are_the_ones_platformdirs_gives(
    user_dirs: UserDirs,
    monkeypatch: pytest.MonkeyPatch,
    kind: Kind,
    xdg: str | None,
    home: str | None,
) -> None:
    def value(written: str | None) -> str | None:
        return None if written is None else written.replace("HOME", str(user_dirs.home))

    for name, written in [*((v, xdg) for v in XDG_VARIABLES), ("HOME", home)]:
        if (given := value(written)) is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, given)
    assert user_folder(kind) == Path(PLATFORMDIRS[kind]("cuecoach"))
