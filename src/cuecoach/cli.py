"""The `cuecoach` command line: thin click commands over the library.

Heavy modules are imported inside the commands so that ``--help`` is instant.
Every `CuecoachError` becomes a message on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import CuecoachError, InputError, Problem

if TYPE_CHECKING:
    from .model import SpeechSettings

F = TypeVar("F", bound=Callable[..., Any])

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


def speech_options(command: F) -> F:
    """--engine/--voice/--rate/--volume/--language: the CLI's speech settings layer."""
    options = [
        # Checked with the other speech flags (parse.validate_speech), not by click,
        # so that --help need not import the list of engines.
        click.option("--engine", help="Text-to-speech engine: piper, espeak or pyttsx3."),
        click.option(
            "--voice", help="Voice id or name (see `cuecoach voices`), or a Piper .onnx file."
        ),
        click.option("--rate", type=int, help="Speaking rate in words per minute (80-450)."),
        click.option("--volume", type=float, help="Speech volume from 0 to 1."),
        click.option("--language", help='Language of the voice and wording, like "en" or "es".'),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def speech_layer(options: dict[str, Any], unused: str | None = None) -> SpeechSettings:
    """The speech flags given on the command line, as a settings layer.

    `unused` says why this run speaks nothing ("nothing is spoken without
    --measured"): then a voice flag has no effect and is refused rather than
    silently accepted (--language still picks the wording).
    """
    from .model import SpeechSettings
    from .parse import SPEECH_KEYS, speech_settings, validate_speech

    given = {k: options.pop(k) for k in SPEECH_KEYS}
    given = {k: v for k, v in given.items() if v is not None}
    problems = validate_speech(given)
    if unused is not None:
        wrong = {k for k, _ in problems}
        problems += [
            (k, f"has no effect: {unused}") for k in given if k != "language" and k not in wrong
        ]
    if problems:
        raise InputError(Problem("(command line)", None, f"--{k}", m) for k, m in problems)
    return speech_settings(given) if given else SpeechSettings()


def sound_overrides(values: tuple[str, ...]) -> dict[str, Path]:
    """`--sound NAME=FILE` options as a mapping."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise InputError(
                [Problem("(command line)", None, "--sound", f'expected NAME=FILE, got "{value}"')]
            )
        out[name] = Path(path)
    return out


sound_option = click.option(
    "--sound",
    "sounds",
    multiple=True,
    metavar="NAME=FILE",
    help="Use your own sound for start, tick, rest or finish (WAV/MP3/FLAC/OGG). Repeatable.",
)


class ProgressBar:
    """A progress bar on stderr that appears on its first update and closes when full.

    Called as ``bar(done, total)``; does nothing when disabled (not a terminal,
    or --quiet).
    """

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._bar: Any = None

    def __call__(self, done: float, total: float) -> None:
        if not self.enabled or total <= 0:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=1000, label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(round(1000 * done / total) - self._bar.pos)
        if done >= total:
            self._bar.__exit__(None, None, None)
            self._bar = None


def on_terminal(quiet: bool = False) -> bool:
    """Whether progress bars should show."""
    return not quiet and sys.stderr.isatty()


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
    from .library import load_library
    from .model import Program
    from .parse import load
    from .pipeline import prepare_session

    problems: list[Problem] = []
    for path in files:
        try:
            lib = load_library(library) if library is not None else None
            loaded = load(path, lib)
            sessions = loaded.sessions if isinstance(loaded, Program) else (loaded,)
            for session in sessions:
                warn(session.warnings)
                script = prepare_session(session, wording=wording).script
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
@click.option(
    "--measured",
    is_flag=True,
    help="Synthesize the speech and time the script with the real clip lengths.",
)
@wording_option
@library_option
@sound_option
@speech_options
def script(
    file: Path,
    fmt: str,
    measured: bool,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Print the compiled cue script of the session FILE.

    Durations are estimated from the text unless --measured is given.
    """
    from .cuescript import WRITERS
    from .pipeline import prepare

    prepared = prepare(
        file,
        wording=wording,
        library=library,
        speech=speech_layer(speech, None if measured else "nothing is spoken without --measured"),
        speak=measured,
        sounds=sound_overrides(sounds),
        progress=ProgressBar("Preparing speech", on_terminal()),
    )
    warn(prepared.session.warnings)
    click.echo(WRITERS[fmt](prepared.script), nl=False)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--no-audio", is_flag=True, help="Print each cue as it happens instead of playing sound."
)
@wording_option
@library_option
@sound_option
@speech_options
def play(
    file: Path,
    no_audio: bool,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Coach the session FILE live, hands-free, through the speakers.

    Keys (no Enter needed): space pause/resume, n next, p previous/restart,
    q quit. Without a terminal it plays to the end on its own.
    """
    from .live import EndReason, MiniaudioOutput, TextOutput
    from .live import play as play_live
    from .pipeline import prepare
    from .sounds import load_sounds

    layer = speech_layer(speech, "nothing is spoken with --no-audio" if no_audio else None)
    overrides = sound_overrides(sounds)
    # Open the device first: a machine without sound fails before any speech work.
    output = TextOutput() if no_audio else MiniaudioOutput()
    prepared = prepare(
        file,
        wording=wording,
        library=library,
        speech=layer,
        speak=not no_audio,
        sounds=overrides,
        progress=ProgressBar("Preparing speech", on_terminal()),
    )
    warn(prepared.session.warnings)
    script = prepared.script
    clips = prepared.speech_clips() if prepared.speaker else {}
    sound_clips = {} if no_audio else load_sounds(output.sample_rate, overrides)
    result = play_live(script, clips, sound_clips, output)
    if result.reason is EndReason.INTERRUPTED:
        raise SystemExit(130)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="MP3 to write (WAV if it ends in .wav); a folder for a program. "
    "Default: named after FILE, in the current folder.",
)
@click.option(
    "--bitrate", type=int, help="MP3 bitrate in kbit/s (default 64 for speech, 128 with music)."
)
@click.option(
    "--sample-rate",
    type=click.Choice(["32000", "44100", "48000"]),
    default="44100",
    show_default=True,
    help="Output sample rate in Hz.",
)
@click.option(
    "--cues",
    "cues_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the exact cue script rendered (JSON, measured durations).",
)
@click.option(
    "--lrc", is_flag=True, help="Also write the cue text as an .lrc file next to the audio."
)
@click.option(
    "--music",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A music bed (MP3/WAV/FLAC/OGG), looped and ducked under every cue.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@wording_option
@library_option
@sound_option
@speech_options
def export(
    file: Path,
    output: Path | None,
    bitrate: int | None,
    sample_rate: str,
    cues_out: Path | None,
    lrc: bool,
    music: Path | None,
    quiet: bool,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Render the session or program FILE to audio for a phone.

    A session becomes one MP3 with a chapter per exercise and the cues as
    lyrics. A program becomes a folder of numbered MP3s plus a playlist.
    """
    from .pipeline import ExportRequest, export_file

    request = ExportRequest(
        output=output,
        bitrate=bitrate,
        sample_rate=int(sample_rate),
        cues=cues_out,
        lrc=lrc,
        music=music,
        wording=wording,
        library=library,
        speech=speech_layer(speech),
        sounds=sound_overrides(sounds),
    )
    show = on_terminal(quiet)
    written = export_file(
        file,
        request,
        warn=warn,
        speech_progress=ProgressBar("Preparing speech", show),
        render_progress=ProgressBar("Rendering       ", show),
    )
    for path in written:
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--engine", help="Engine to list: piper, espeak or pyttsx3 (default: the default's).")
@click.option("--language", help='Only voices for this language, like "en" or "es".')
def voices(engine: str | None, language: str | None) -> None:
    """List the text-to-speech voices available; the one used by default is marked."""
    from .model import SpeechSettings
    from .speech import find_voice, list_voices, load_engine, resolve_speech

    if engine is None:
        # The engine and voice a session in this language would get, fallback included.
        chosen = resolve_speech(SpeechSettings(language=language))
        name, default = chosen.engine, chosen.voice
    else:
        name = engine
        try:
            default = find_voice(load_engine(name).voices(), None, language or "en", name).id
        except CuecoachError:
            default = None
    found = list_voices(name, language)
    width = max((len(v.id) for v in found), default=2)
    for voice in found:
        mark = "  [default]" if voice.id == default else ""
        click.echo(f"{voice.id:<{width}}  {voice.name}  ({', '.join(voice.languages)}){mark}")
    click.echo(f"{len(found)} {name} voice{'s' if len(found) != 1 else ''}", err=True)


@cli.group()
def cache() -> None:
    """Show or clear the cache of synthesized phrases."""


@cache.command("info")
def cache_info() -> None:
    """Where the phrase cache is, how many entries it holds and its size."""
    from .speech import cache_info as info

    found = info()
    click.echo(
        f"location: {found.folder}\nentries:  {found.entries}\n"
        f"size:     {found.size / 1e6:.1f} MB of {found.limit / 1e6:.0f} MB "
        "(16-bit, compressed; least recently used phrases go first)"
    )


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached phrase (they are synthesized again when needed)."""
    from .speech import cache_clear as clear

    removed, problems = clear()
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"removed {removed} cached phrases")


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
