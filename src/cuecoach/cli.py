"""The `cuecoach` command line: thin click commands over the library.

Heavy modules are imported inside the commands so that ``--help`` is instant.
Every `CuecoachError` becomes a message on stderr and exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from .errors import CuecoachError, InputError, Problem

EXIT_INPUT = 2
FORMATS = ("table", "json", "srt", "vtt", "lrc")


class Failure(click.ClickException):
    """A CuecoachError on its way out: printed as-is, exit status 2."""

    exit_code = EXIT_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def _error_text(exc: CuecoachError) -> str:
    if isinstance(exc, InputError):
        return "\n".join(f"error: {p}" for p in exc.problems)
    return f"error: {exc}"


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CuecoachError as exc:
            raise Failure(_error_text(exc)) from None


def warn(problems: Iterable[Problem]) -> None:
    """Print warnings on stderr."""
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


_existing = click.Path(dir_okay=False, path_type=Path)
wording_option = click.option(
    "--wording", type=_existing, help="A wording file whose phrases replace the defaults."
)
library_option = click.option(
    "--library",
    type=_existing,
    help="An exercise library file that adds to or overrides the built-in one.",
)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cuecoach")
def cli() -> None:
    """Turn a written workout into a hands-free voice coach.

    A session file (TOML) lists exercises with sets and reps, timed holds,
    carries and supersets; cuecoach compiles it into a timed cue script and
    speaks it. Start with `cuecoach script SESSION.toml`.
    """


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@wording_option
@library_option
def check(files: tuple[Path, ...], wording: Path | None, library: Path | None) -> None:
    """Validate session and program FILES; print every problem.

    Exits with status 2 if any file has an error (warnings alone do not fail).
    """
    from .compile import compile_session
    from .library import load_library
    from .model import Program
    from .parse import load
    from .pipeline import session_wording

    problems: list[Problem] = []
    for path in files:
        try:
            lib = load_library(library) if library is not None else None
            loaded = load(path, lib)
            sessions = loaded.sessions if isinstance(loaded, Program) else (loaded,)
            for session in sessions:
                warn(session.warnings)
                script = compile_session(session, session_wording(session, wording, None))
                count = len(session.exercises)
                click.echo(
                    f"ok: {session.path}: {session.title} — {count} "
                    f"exercise{'s' if count != 1 else ''}, {_clock(script.duration)}"
                )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="How to print the script.",
)
@wording_option
@library_option
def script(file: Path, fmt: str, wording: Path | None, library: Path | None) -> None:
    """Print the compiled cue script of the session FILE."""
    from .cuescript import WRITERS
    from .pipeline import prepare

    prepared = prepare(file, wording=wording, library=library)
    warn(prepared.session.warnings)
    click.echo(WRITERS[fmt](prepared.script), nl=False)


@cli.command()
@click.argument("name", required=False)
@library_option
def exercises(name: str | None, library: Path | None) -> None:
    """List the exercise library, or show one exercise NAME in full."""
    from .library import load_library

    lib = load_library(library)
    if name is None:
        width = max(len(e.name) for e in lib.entries)
        for category in sorted({e.category for e in lib.entries}):
            click.echo(f"{category or 'other'}:")
            for entry in (e for e in lib.entries if e.category == category):
                click.echo(f"  {entry.name:<{width}}  {', '.join(entry.muscles)}")
        return
    info = lib.find(name)
    if info is None:
        close = lib.suggest(name)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise CuecoachError(f'no exercise "{name}" in the library{hint}')
    click.echo(info.name)
    if info.aliases:
        click.echo(f"  also: {', '.join(info.aliases)}")
    click.echo(f"  muscles: {', '.join(info.muscles)}")
    click.echo("  cues:")
    for cue in info.cues:
        click.echo(f"    - {cue}")
    if info.why:
        click.echo(f"  why: {info.why}")


@cli.command("wording")
@click.option("--language", default="en", show_default=True, help="Language of the wording.")
def wording_command(language: str) -> None:
    """Print the default cue wording as a TOML file to copy and edit."""
    from .wording import load_wording, wording_text

    click.echo(wording_text(load_wording(language).language), nl=False)


def main() -> None:
    """Entry point of the `cuecoach` console script."""
    cli(prog_name="cuecoach")
