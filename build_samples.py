"""Build backend: setuptools, plus a step that ships the sample sessions.

The repository keeps one copy, in sessions/ (where the README's commands use
them); every build copies them to cuecoach/data/samples/ (an editable
install links them) so that `cuecoach init --sample` works after
`pip install`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.build_meta import (
    build_editable,
    build_sdist,
    build_wheel,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


def _linked(source: Path, link: Path) -> bool:
    """Link `link` to `source`; False where links are not allowed (then copy)."""
    try:
        link.symlink_to(source)
    except OSError:
        return False
    return True


class BuildPy(build_py):
    """build_py that first puts the sample sessions in the package; an editable
    install links them, so that edits to sessions/ show at once."""

    def run(self) -> None:
        target = ROOT / "src" / "cuecoach" / "data" / "samples"
        if (ROOT / "sessions").is_dir():  # absent when building from an sdist that has the copy
            target.mkdir(exist_ok=True)
            for sample in sorted((ROOT / "sessions").glob("*.toml")):
                (target / sample.name).unlink(missing_ok=True)
                if self.editable_mode and _linked(sample, target / sample.name):
                    continue
                shutil.copyfile(sample, target / sample.name)
        super().run()


__all__ = [
    "BuildPy",
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]
