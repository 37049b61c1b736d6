"""The `cuecoach` command line: thin click commands over the library.

Heavy modules are imported inside the commands so that ``--help`` is instant.
Every `CuecoachError` becomes a message on stderr and exit status 2.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import CuecoachError, InputError, Problem
from .terminal import shown
from .timecode import clock

if TYPE_CHECKING:
    from .model import Session, SpeechSettings
    from .publish import PublishRequest

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INPUT = 2
FORMATS = ("table", "json", "srt", "vtt", "lrc")


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text that may come from a file: the one way the commands print."""
    try:
        click.echo(shown(text), err=err, nl=nl)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise  # a reader that stopped (`| head`): click ends quietly
        # A full disk or /dev/full: what is still buffered cannot go either.
        stream = "stderr" if err else "stdout"
        setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        raise CuecoachError(f"cannot write to {stream}: {exc.strerror or exc}") from None


def _coloured(text: str, colour: str) -> str:
    """`text` in `colour` on a terminal stderr, unless NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or not sys.stderr.isatty():
        return text
    return click.style(text, fg=colour, bold=True)


def show_qr(url: str) -> None:
    """A QR code of `url`, in white on black on a terminal (unless NO_COLOR is
    set), so it reads on a light theme too."""
    from .publish.server import qr_text

    colours = not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    click.echo(qr_text(url, colours=colours))  # drawn here: no text from a file in it


def error_lines(exc: CuecoachError) -> list[str]:
    """The ``error: FILE:LINE: key: message`` lines of `exc`."""
    if isinstance(exc, InputError):
        return [f"{_coloured('error:', 'red')} {shown(str(p))}" for p in exc.problems]
    return [f"{_coloured('error:', 'red')} {shown(str(exc))}"]


class Failure(click.ClickException):
    """A CuecoachError on its way out: printed as-is, exit status 2."""

    exit_code = EXIT_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from .outputs import exit_interrupted, exit_on_signals

        try:
            with exit_on_signals():
                return super().invoke(ctx)
        except CuecoachError as exc:
            raise Failure("\n".join(error_lines(exc))) from None
        except KeyboardInterrupt:
            # Everything underway has been undone on the way here (staged outputs,
            # the terminal's mode); 130 is what a shell expects after Ctrl-C.
            click.echo("\ninterrupted", err=True)
            exit_interrupted()


class _Lasting(click.Command):
    """A command that runs for minutes or hours (a workout, a render, a server):
    the cyclic garbage collector, which `__main__.main` leaves off for the quick
    ones, is on."""

    def invoke(self, ctx: click.Context) -> Any:
        gc.enable()
        return super().invoke(ctx)


def warn(problems: Iterable[Problem]) -> None:
    """Print warnings on stderr."""
    for problem in problems:
        click.echo(f"{_coloured('warning:', 'yellow')} {shown(str(problem))}", err=True)


_existing = click.Path(dir_okay=False, path_type=Path)
wording_option = click.option(
    "--wording", type=_existing, help="A wording file whose phrases replace the defaults."
)
library_option = click.option(
    "--library",
    type=_existing,
    help="An exercise library file that adds to or overrides the built-in one.",
)


session_option = click.option(
    "--session",
    "number",
    type=click.IntRange(1),
    metavar="N",
    help="With a program FILE: its Nth session, in the program's weeks (deload weeks included).",
)
week_option = click.option(
    "--week",
    type=click.IntRange(1, 52),
    help="Week of the progression rules (1 is the file as written). "
    'Default: 1, or the next week the training log allows for "if completed" rules.',
)
# export, publish and serve make files for later: every week, unless told one.
every_week_option = click.option(
    "--week",
    type=click.IntRange(1, 52),
    help="Only this week of the progression rules (1 is the file as written). "
    "Default: every week of a program with weeks, a session as written.",
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
    from .checker import COMMAND_LINE, Checker
    from .parse import SPEECH_KEYS, validate_speech

    given = {k: options.pop(k) for k in SPEECH_KEYS}
    given = {k: v for k, v in given.items() if v is not None}
    check = Checker(COMMAND_LINE)
    settings = validate_speech(given, check)
    if unused is not None:
        for key in given:
            if key != "language":
                check.error((key,), f"has no effect: {unused}")
    check.raise_problems()
    return settings


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
    """A progress bar on stderr, redrawn in place, that prints its final line once.

    Called as ``bar(done, total)``; does nothing when disabled (not a terminal,
    or --quiet). It fits the terminal's width, and the time left is the
    average pace so far (shown from the first percent; a guess before that
    would be noise). A new pass after a full bar starts a new bar.
    """

    def __init__(
        self, label: str, enabled: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.label = label
        self.enabled = enabled
        self._clock = clock
        self._start: float | None = None
        self._finished = False
        self._shown = ""

    def __call__(self, done: float, total: float) -> None:
        if not self.enabled or total <= 0:
            return
        fraction = min(1.0, max(0.0, done / total))
        if self._finished and fraction >= 1.0:
            return
        now = self._clock()
        if self._start is None or self._finished:
            self._start, self._finished = now, False
        elapsed = now - self._start
        if fraction >= 1.0:
            tail = f"100%  took {clock(round(elapsed * 1000))}"
        elif fraction >= 0.01 and elapsed > 0:
            left_ms = round(elapsed * (1 - fraction) / fraction * 1000)
            tail = f"{fraction:4.0%}  {clock(left_ms)} left"
        else:
            tail = f"{fraction:4.0%}  --:-- left"
        import shutil  # here, not at the top: check and script never draw a bar

        width = shutil.get_terminal_size().columns - 1  # the last column would wrap
        room = width - len(self.label) - len(tail) - 4
        bar = f"[{'#' * round(room * fraction):-<{room}}]" if room >= 10 else ""
        line = " ".join(part for part in (self.label, bar, tail) if part)[:width]
        if line != self._shown:
            click.echo(f"\r{line:<{len(self._shown)}}", err=True, nl=False)
            self._shown = line
        if fraction >= 1.0:
            click.echo("", err=True)
            self._finished, self._shown = True, ""


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


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@wording_option
@library_option
def check(files: tuple[Path, ...], wording: Path | None, library: Path | None) -> None:
    """Validate session and program FILES; print every problem.

    Exits with status 2 if any file has an error (warnings alone do not fail).
    """
    from .librarycache import cached_library
    from .model import Program
    from .parse import load
    from .pipeline import script_session
    from .timecode import clock

    problems: list[Problem] = []
    checked: set[Path] = set()  # sessions already reported, named twice or via a program
    lib = cached_library(library)
    for path in files:
        try:
            loaded = load(path, lib)
            sessions = loaded.sessions if isinstance(loaded, Program) else (loaded,)
            program = loaded if isinstance(loaded, Program) else None
            for session in sessions:
                where = (session.path or path).resolve()
                if where in checked:
                    continue
                checked.add(where)
                warn(session.warnings)
                if any(e.group is not None and e.progress for e in session.exercises):
                    from .progression import group_problems  # only then: start-up speed

                    if broken := group_problems(session, program):
                        problems.extend(broken)
                        continue
                script = script_session(session, wording=wording).script
                count = len(session.exercises)
                echo(
                    f"ok: {session.path}: {session.title} — {count} "
                    f"exercise{'s' if count != 1 else ''}, {clock(script.duration_ms)}"
                )
            if isinstance(loaded, Program):
                count = len(loaded.sessions)
                plural = "s" if count != 1 else ""
                echo(f"ok: {path}: program {loaded.title} — {count} session{plural}")
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
@session_option
@week_option
@wording_option
@library_option
@sound_option
@speech_options
def script(
    file: Path,
    fmt: str,
    measured: bool,
    number: int | None,
    week: int | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Print the compiled cue script of the session FILE (or of a program's
    session, with --session).

    Durations are estimated from the text unless --measured is given.
    """
    from .cuescript import WRITERS
    from .pipeline import Scripted, hear_session, script_session

    layer = speech_layer(speech, None if measured else "nothing is spoken without --measured")
    overrides = sound_overrides(sounds)
    session = session_at(file, week, library, number)
    result: Scripted
    if measured:
        progress = ProgressBar("Preparing speech", on_terminal())
        result = hear_session(
            session, wording=wording, speech=layer, sounds=overrides, progress=progress
        )
    else:
        result = script_session(session, wording=wording, speech=layer)
    warn(session.warnings)
    echo(WRITERS[fmt](result.script), nl=False)


@cli.command(cls=_Lasting)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--no-audio", is_flag=True, help="Print each cue as it happens instead of playing sound."
)
@session_option
@week_option
@click.option(
    "--from",
    "start",
    metavar="EXERCISE|M:SS",
    help="Start part-way: at an exercise (where it is announced) or at a time.",
)
@wording_option
@library_option
@sound_option
@speech_options
def play(
    file: Path,
    no_audio: bool,
    number: int | None,
    week: int | None,
    start: str | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Coach the session FILE live, hands-free, through the speakers (or a
    program's session, with --session).

    Keys (no Enter needed): space pause/resume, n next, p previous/restart,
    Enter done with this set, q quit (it says how to carry on later).
    Without a terminal it plays to the end on its own. Every play is
    recorded in the training log (see `cuecoach log`).
    """
    from .live import EndReason, TextOutput, open_device, start_ms, stopped_message
    from .live import play as play_live
    from .pipeline import hear_session, script_session
    from .sounds import load_sounds
    from .trainlog import LogError, TrainingLog, set_outcomes, with_amrap_counts

    layer = speech_layer(speech, "nothing is spoken with --no-audio" if no_audio else None)
    overrides = sound_overrides(sounds)
    # Open the device first: a machine without sound fails before any speech work.
    output = TextOutput() if no_audio else open_device()
    session = session_at(file, week, library, number)
    clips = {}
    if no_audio:
        script = script_session(session, wording=wording, speech=layer).script
    else:
        progress = ProgressBar("Preparing speech", on_terminal())
        heard = hear_session(
            session, wording=wording, speech=layer, sounds=overrides, progress=progress
        )
        script, clips = heard.script, heard.speech_clips()
    warn(session.warnings)
    sound_clips = {} if no_audio else load_sounds(output.sample_rate, overrides)
    begin = start_ms(script, start) if start is not None else 0
    log: TrainingLog | None = None
    carried: dict[tuple[str, int], str] = {}
    try:
        log = TrainingLog()
        if begin:  # carrying on a stopped play: the sets it did count for this one
            last = log.last_play(session)
            if last is not None and not last.completed and last.week == session.week:
                carried = log.outcomes(last.id)
        play_id = log.start(session)
    except LogError as exc:  # a log that cannot be written never stops a workout
        echo(f"{_coloured('warning:', 'yellow')} this session is not logged: {exc}", err=True)
        log = None
    result = play_live(script, clips, sound_clips, output, start_ms=begin)
    # Stopped by a signal, the terminal may be gone: log what was done, ask nothing.
    signalled = result.exit_status is not None
    if result.reason is not EndReason.FINISHED and not signalled:
        again = f"cuecoach play {file}" + (f" --session {number}" if number else "")
        again += f" --week {session.week}" if session.week is not None else ""
        echo(stopped_message(result, script, again))
    interrupted = result.reason is EndReason.INTERRUPTED
    if log is not None:
        sets = set_outcomes(script, result, begin, carried)
        amrap = [e.name for e in session.exercises if e.amrap]
        asking = bool(amrap) and sys.stdin.isatty() and not signalled

        def ask(question: str) -> str:
            nonlocal asking, interrupted
            if not asking:
                return ""
            try:
                return str(click.prompt(question, default="", show_default=False))
            except click.Abort as exc:  # Ctrl-C or Ctrl-D: the counts are optional
                asking = False
                interrupted = interrupted or isinstance(exc.__context__, KeyboardInterrupt)
                return ""

        if amrap:
            sets = with_amrap_counts(sets, amrap, ask)
        log.finish(play_id, sets, paused_ms=result.paused_ms)
        log.close()
    if signalled:
        raise SystemExit(result.exit_status)
    if interrupted:
        from .outputs import exit_interrupted

        exit_interrupted()


@cli.command(cls=_Lasting)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="MP3 to write (WAV if it ends in .wav), or a folder to write it in; a folder "
    "for a program. Default: named after FILE, in the current folder.",
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
@every_week_option
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
    week: int | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Render the session or program FILE to audio for a phone.

    A session becomes one MP3 with a chapter per exercise and the cues as
    lyrics. A program becomes a folder of numbered MP3s plus a playlist; a
    program with `weeks` gets every week (W1-01, W2-01 ...) unless --week.
    """
    from .export.run import ExportRequest, export_file

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
        week=week,
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
        echo(f"wrote {path}")


def session_at(
    file: Path, week: int | None, library: Path | None, number: int | None = None
) -> Session:
    """The session FILE as done in `week`; without one, the week the training
    log allows when a rule says "if completed", else the file as written.

    With `number`, FILE is a program and the session is its `number`th, in
    the program's weeks: a deload week halves its sets."""
    from .librarycache import cached_library
    from .model import Program
    from .parse import load
    from .tomlfile import FILE_KEY

    loaded = load(file, cached_library(library))
    deload_every = None
    if isinstance(loaded, Program):
        listed = "; ".join(f"{i}: {s.title}" for i, s in enumerate(loaded.sessions, start=1))
        if number is None:
            message = f"is a program file; choose one of its sessions with --session ({listed})"
            raise InputError([Problem(str(file), None, FILE_KEY, message)])
        if number > len(loaded.sessions):
            message = f"{file} has {len(loaded.sessions)} sessions ({listed})"
            raise InputError([Problem("(command line)", None, "--session", message)])
        session, deload_every = loaded.sessions[number - 1], loaded.deload_every
    elif number is not None:
        message = f"{file} is a session, not a program"
        raise InputError([Problem("(command line)", None, "--session", message)])
    else:
        session = loaded
    if week is None and not session.has_rules:
        return session  # no rules: the file as written, without loading the rules' code
    from .progression import needs_log, session_at_week

    if week is None and needs_log(session):
        from .trainlog import next_week

        week = next_week(session)
    return session if week is None else session_at_week(session, week, deload_every)


@cli.command()
@click.argument("program", type=click.Path(path_type=Path))
@library_option
def plan(program: Path, library: Path | None) -> None:
    """Print the weeks of a progressing PROGRAM: each exercise's sets x amount
    week by week, and each week's session length."""
    from .librarycache import cached_library
    from .model import Program
    from .parse import load
    from .pipeline import script_session
    from .plan import plan_text

    loaded = load(program, cached_library(library))
    if not isinstance(loaded, Program):
        raise InputError([Problem(str(program), None, "sessions", "is a session; give a program")])
    echo(plan_text(loaded, lambda s: script_session(s).script.duration_ms), nl=False)


@cli.command("import")
@click.argument("notes", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    help="Folder for the session files and the program (default: here).",
)  # fmt: skip
@library_option
def import_command(notes: Path, output: Path, library: Path | None) -> None:
    """Turn workout NOTES (plain text) into session files and a program.

    Headings start sessions; lines like "Push-Ups – 3×12", "Side Plank –
    3×30s/side" or "Farmer's Carry (40m) – 3×1" are exercises. Lines it
    cannot read are listed with their line numbers.
    """
    from .librarycache import cached_library
    from .notes import program_toml, read_notes, session_toml, slug
    from .starter import write_new_files
    from .tomlfile import read_text

    read = read_notes(read_text(notes), cached_library(library))
    for number, line, why in read.unread:
        echo(
            f"{_coloured('warning:', 'yellow')} {notes}:{number}: not read: {line!r}: {why}",
            err=True,
        )
    for session in read.sessions:
        for ex in session.exercises:
            if ex.closest is not None:
                hint = f"; closest: {', '.join(ex.closest)}" if ex.closest else ""
                echo(
                    f'warning: {notes}:{ex.line}: "{ex.name}" is not in the exercise library{hint}',
                    err=True,
                )
    if not read.sessions:
        raise CuecoachError(f"{notes}: no exercises found (like “Push-Ups – 3×12”)")
    files: dict[str, str] = {}
    for i, session in enumerate(read.sessions, 1):
        files[f"{i:02d}-{slug(session.title)}.toml"] = session_toml(session, notes.name)
    title = read.title or notes.stem.replace("-", " ").replace("_", " ").title()
    files[f"{slug(notes.stem)}-program.toml"] = program_toml(title, list(files), notes.name)
    for path in write_new_files(output, files):
        echo(f"wrote {path}")


@cli.command()
@click.argument("name", default="my-session")
@click.option("--program", is_flag=True, help="A program NAME.toml with two sessions.")
@click.option("--sample", metavar="SAMPLE", help="A shipped sample instead: day1, day2, week ...")
def init(name: str, program: bool, sample: str | None) -> None:
    """Write a commented starter session NAME.toml here (never over a file).

    --program writes a program and two sessions; --sample writes one of the
    sessions that ship with cuecoach (a program with its sessions).
    """
    from .starter import sample_files, starter_program, starter_session, write_new_files

    named = click.get_current_context().get_parameter_source("name")
    if sample is not None and (program or named is not click.core.ParameterSource.DEFAULT):
        # The sample's files keep their own names (a program names its sessions).
        given = "--program" if program else f"NAME ({name})"
        message = f"--sample writes the sample's own files under their names; drop {given}"
        raise InputError([Problem("(command line)", None, "--sample", message)])
    if sample is not None:
        files = sample_files(sample)
    else:
        files = starter_program(name) if program else starter_session(name)
    for path in write_new_files(Path("."), files):
        echo(f"wrote {path}")


@cli.command("log")
@click.option("--csv", "as_csv", is_flag=True, help="Export every logged set as CSV.")
@click.option("-n", "--limit", type=click.IntRange(1), default=20, show_default=True)
def log_command(as_csv: bool, limit: int) -> None:
    """List recent sessions from the training log that `play` keeps."""
    from .trainlog import TrainingLog

    log = TrainingLog()
    try:
        if as_csv:
            echo(log.csv_text(), nl=False)
            return
        plays = log.recent(limit)
        for p in plays:
            week = f"week {p.week}" if p.week is not None else "-"
            state = "completed" if p.completed else "unfinished" if p.ended_at else "stopped"
            echo(
                f"{p.started_at[:16].replace('T', ' ')}  {p.title}  {week}  "
                f"{p.sets_done}/{p.sets_total} sets  {state}"
            )
        if not plays:
            echo(f"no sessions logged yet ({log.path})", err=True)
    finally:
        log.close()


@cli.command()
@click.option("--engine", help="Engine to list: piper, espeak or pyttsx3 (default: the default's).")
@click.option("--language", help='Only voices for this language, like "en" or "es".')
def voices(engine: str | None, language: str | None) -> None:
    """List the text-to-speech voices available; the one used by default is marked."""
    from .model import SpeechSettings
    from .speech import list_voices, load_engine, resolve_speech

    if engine is None:
        # The engine and voice a session in this language would get, fallback included.
        chosen = resolve_speech(SpeechSettings(language=language))
        name, default = chosen.engine, chosen.voice
    else:
        name = engine
        try:
            default = load_engine(name).find_voice(None, language or "en").id
        except CuecoachError:
            default = None
    found = list_voices(name, language)
    width = max((len(v.id) for v in found), default=2)
    # A default with a variant ("gmw/en-US+m8") marks its voice and names the variant.
    base, variant = default, ""
    if default is not None and all(v.id != default for v in found):
        base, _, variant = default.partition("+")
    for voice in found:
        mark = ""
        if voice.id == base:
            mark = f"  [default, +{variant}]" if variant else "  [default]"
        echo(f"{voice.id:<{width}}  {voice.name}  ({', '.join(voice.languages)}){mark}")
    echo(f"{len(found)} {name} voice{'s' if len(found) != 1 else ''}", err=True)
    if name == "espeak":
        from .speech.espeak import EspeakEngine

        variants = ", ".join(sorted((v.id for v in EspeakEngine().variants()), key=str.casefold))
        echo(
            f"variants, added to any voice as VOICE+VARIANT (like gmw/en+m3): {variants}",
            err=True,
        )


@cli.group()
def cache() -> None:
    """Show or clear the cache of synthesized phrases."""


@cache.command("info")
def cache_info() -> None:
    """Where the phrase cache is, how many entries it holds and its size."""
    from .speech import cache_info as info

    found = info()
    echo(
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
        echo(f"{_coloured('warning:', 'yellow')} {problem}", err=True)
    echo(f"removed {removed} cached phrases")


@cli.command()
@click.argument("name", required=False)
@library_option
def exercises(name: str | None, library: Path | None) -> None:
    """List the exercise library, or show one exercise NAME in full."""
    from .librarycache import cached_library

    lib = cached_library(library)
    if name is None:
        width = max(len(e.name) for e in lib.entries)
        for category in sorted({e.category for e in lib.entries}):
            echo(f"{category or 'other'}:")
            for entry in (e for e in lib.entries if e.category == category):
                echo(f"  {entry.name:<{width}}  {', '.join(entry.muscles)}")
        return
    info = lib.find(name)
    if info is None:
        close = lib.suggest(name)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise CuecoachError(f'no exercise "{name}" in the library{hint}')
    echo(info.name)
    if info.aliases:
        echo(f"  also: {', '.join(info.aliases)}")
    echo(f"  muscles: {', '.join(info.muscles)}")
    echo("  cues:")
    for cue in info.cues:
        echo(f"    - {cue}")
    if info.why:
        echo(f"  why: {info.why}")


@cli.command("wording")
@click.option("--language", default="en", show_default=True, help="Language of the wording.")
def wording_command(language: str) -> None:
    """Print the default cue wording as a TOML file to copy and edit."""
    from .wording import load_wording, wording_text

    echo(wording_text(load_wording(language).language), nl=False)


def _publish_request(
    output: Path | None,
    base_url: str | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    week: int | None,
    speech: dict[str, Any],
) -> PublishRequest:
    """The PublishRequest that `publish` and `serve` share."""
    from .publish import PublishRequest, RenderSettings

    settings = RenderSettings(wording, speech_layer(speech), sound_overrides(sounds))
    return PublishRequest(output or Path(), base_url, library, settings, week)


@cli.command("publish", cls=_Lasting)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to publish into (made if missing; unchanged sessions are not rendered again).",
)
@click.option(
    "--base-url",
    help="Where the folder will be served, like https://example.org/workouts/ "
    "(default: the folder's file:// URL).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@every_week_option
@wording_option
@library_option
@sound_option
@speech_options
def publish_command(
    files: tuple[Path, ...],
    output: Path,
    base_url: str | None,
    quiet: bool,
    week: int | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Publish session and program FILES as a podcast feed with a web player.

    The folder gets feed.xml (one episode per session, with chapters and a
    transcript), the MP3s and a player page per session: put it on any web
    server and subscribe to BASE_URL/feed.xml.
    """
    from .publish import publish

    request = _publish_request(output, base_url, wording, library, sounds, week, speech)
    show = on_terminal(quiet)
    done = publish(
        files,
        request,
        warn=warn,
        speech_progress=ProgressBar("Preparing speech", show),
        render_progress=ProgressBar("Rendering       ", show),
    )
    echo(f"wrote {done.feed} ({done.rendered} rendered, {done.reused} unchanged)")


@cli.command(cls=_Lasting)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--host",
    default="0.0.0.0",
    show_default=True,
    help="Address to listen on; 127.0.0.1 keeps it private to this machine.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
    help="Port to listen on (0: any free one).",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@every_week_option
@wording_option
@library_option
@sound_option
@speech_options
def serve(
    files: tuple[Path, ...],
    host: str,
    port: int,
    quiet: bool,
    week: int | None,
    wording: Path | None,
    library: Path | None,
    sounds: tuple[str, ...],
    **speech: Any,
) -> None:
    """Serve FILES as a private podcast and web player on the local network.

    Prints the feed and player URLs with QR codes for a phone, then serves
    until Ctrl-C. The URLs carry a secret token kept in your user data
    folder, so a subscription keeps working across restarts.
    """
    from .publish.server import serve as serve_files

    request = _publish_request(None, None, wording, library, sounds, week, speech)
    show = on_terminal(quiet)
    try:
        serve_files(
            files,
            request,
            host,
            port,
            echo,
            show_qr=show_qr,
            warn=warn,
            speech_progress=ProgressBar("Preparing speech", show),
            render_progress=ProgressBar("Rendering       ", show),
        )
    except KeyboardInterrupt:
        from .outputs import exit_interrupted

        exit_interrupted()
