"""The map in docs/architecture.md stays true: every module has a part, and
every import between cuecoach modules is one the map allows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "cuecoach"
DOC = ROOT / "docs" / "architecture.md"
SHELLS = ("speech", "audio", "export", "live", "publish", "pipeline", "cli")
RENDERERS = ("export", "live", "publish")


def module_name(path: Path) -> str:
    """``src/cuecoach/export/run.py`` -> ``export.run``; the package's own __init__ -> ``cuecoach``."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "cuecoach"


def imported_modules(source: str, name: str, is_package: bool) -> set[str]:
    """Every cuecoach module or name that module `name` imports, lazily or not,
    named as `module_name` does (``export.ExportOptions`` is a name in ``export``)."""
    package = [] if name == "cuecoach" else name.split(".")
    if not is_package:
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.split(".")[0] == "cuecoach"]
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                targets = [".".join(["cuecoach", *base, node.module])]
            else:  # from . import units: each name may be a module
                targets = [".".join(["cuecoach", *base, a.name]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cuecoach":
            targets = [node.module or ""]
        found.update(t.removeprefix("cuecoach").removeprefix(".") or "cuecoach" for t in targets)
    return found


def parts_table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The doc's table: part -> (module patterns, parts it may import)."""
    table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("Part", "") or set(cells[0]) <= {"-"}:
            continue
        modules = tuple(re.findall(r"`([^`]+)`", cells[1]))
        allowed = tuple(p.strip() for p in cells[2].split(",") if p.strip())
        table[cells[0]] = (modules, allowed)
    return table


def part_of(module: str, table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> list[str]:
    """The parts whose patterns match `module` (exactly one when the map is right)."""
    return [
        part
        for part, (patterns, _) in table.items()
        if any(
            module == p or (p.endswith(".*") and (module + ".").startswith(p[:-1]))
            for p in patterns
        )
    ]


def allows(allowed: tuple[str, ...], target: str, target_part: str) -> bool:
    """Whether an import of `target` (in `target_part`) is within `allowed`."""
    return target_part in allowed or any(target == a or target.startswith(a + ".") for a in allowed)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {
    name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    for name, path in MODULES.items()
}


def resolve(target: str) -> str:
    """`target` as a module: ``export.ExportOptions`` is a name in ``export``."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def test_the_table_is_read() -> None:
    table = parts_table()
    assert {"core", "audio", "speech", "export", "live", "publish", "cli"} <= set(table)
    assert "parse" in table["core"][0] and table["core"][1] == ()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_has_one_part(module: str) -> None:
    assert len(part_of(module, parts_table())) == 1, f"{module}: add it to docs/architecture.md"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_map(module: str) -> None:
    table = parts_table()
    (own,) = part_of(module, table)
    allowed = table[own][1]
    for target in sorted(map(resolve, IMPORTS[module])):
        assert target in MODULES, f"{module} imports unknown module {target}"
        (theirs,) = part_of(target, table)
        if theirs != own:
            assert allows(allowed, target, theirs), f"{module} ({own}) imports {target} ({theirs})"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_fixed_rules(module: str) -> None:
    table = parts_table()
    (own,) = part_of(module, table)
    for target in map(resolve, IMPORTS[module]):
        (theirs,) = part_of(target, table)
        if own == "core":
            assert theirs not in SHELLS, f"core module {module} imports {target} ({theirs})"
        if own in RENDERERS and theirs in RENDERERS and own != theirs:
            public = own == "publish" and target == "export.run"
            assert public, f"{module} ({own}) imports {target} ({theirs})"
        if theirs == "cli":
            assert own == "cli", f"{module} imports the cli"


def test_the_checks_see_lazy_relative_and_type_only_imports() -> None:
    # The rules above pass on code that breaks them unless every kind of import is seen.
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .speech import Speaker\n"
        "def f():\n    from .export.mix import make_plan\n    import cuecoach.live.keys\n"
        "from . import audio\nfrom ..cli import cli\nimport numpy\n"
    )
    found = imported_modules(source, "export.run", is_package=False)
    assert found == {"export.speech", "export.export.mix", "live.keys", "export.audio", "cli"}
    found = imported_modules(source.replace("..cli", ".cli"), "parse", is_package=False)
    assert {resolve(t) for t in found} == {"speech", "export.mix", "live.keys", "audio", "cli"}
