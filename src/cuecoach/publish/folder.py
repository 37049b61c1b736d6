"""`publish`: sessions and programs into a folder any static web host can serve.

The folder holds, per episode, the MP3, the cue script JSON the player reads,
the chapters JSON and the WebVTT transcript the feed points at, and a player
page; once, the feed, an index page, the player's script and style, and the
cover art. Text files are rewritten only when their bytes change (so their
ETags stay put) and MP3s only when their fingerprint does. A hidden state
file records what was written, so files of episodes that are gone are removed
and nothing else in the folder is touched.
"""

from __future__ import annotations

import html
import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import quote, urlsplit, urlunsplit

from ..cuescript import to_json, to_vtt
from ..errors import CuecoachError, InputError, Problem
from ..library import load_library
from ..model import Exercise, Program, Session, WorkKind
from ..outputs import output_file
from ..packaged import PLAYER_DIR
from ..parse import load
from ..progression import program_weeks, session_at_week, week_title
from ..sounds import load_sounds
from .cover import cover_png
from .feed import Channel, Episode, episode_guid, feed_xml
from .render import Rendered, RenderSettings, Tags, render_episode

STATE_FILE = ".cuecoach-publish.json"
STATIC_FILES = ("player.css", "player.js")


@dataclass(frozen=True)
class PublishRequest:
    """What `cuecoach publish` was asked for."""

    output: Path
    base_url: str | None = None  # where the folder will be served; default: its file:// URL
    library: Path | None = None
    render: RenderSettings = field(default_factory=RenderSettings)
    week: int | None = None  # only this week of a progression (default: every week)


@dataclass(frozen=True)
class Published:
    """What a publish produced: the feed, the index page, and how many MP3s were rendered."""

    feed: Path
    index: Path
    rendered: int
    reused: int


@dataclass(frozen=True)
class Planned:
    """An episode before rendering: its session, place in the feed and file names."""

    session: Session
    album: str
    season: int
    number: int
    stem: str
    guid: str


def publish(
    paths: Sequence[Path],
    request: PublishRequest,
    *,
    warn: Callable[[tuple[Problem, ...]], None] = lambda _: None,
    speech_progress: Callable[[int, int], None] | None = None,
    render_progress: Callable[[float, float], None] | None = None,
) -> Published:
    """Publish the session and program files `paths` into `request.output`."""
    folder = request.output
    # os.path's tests answer False, not raise, where a parent cannot be searched:
    # `_make_folder` then says why the folder cannot be made.
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise InputError([Problem("(command line)", None, "--output", f"{folder} is not a folder")])
    library = load_library(request.library) if request.library is not None else None
    loaded = [load(path, library) for path in paths]
    planned = plan_episodes(loaded, request.week)
    base = _base_url(request.base_url, folder)
    _make_folder(folder)
    state = _read_state(folder)
    _refuse_files_not_ours(folder, state, planned)
    options = request.render.options
    sounds = load_sounds(options.sample_rate, request.render.sounds)
    written: dict[str, str] = {}  # file name -> fingerprint for MP3s, "" for the rest
    episodes: list[Episode] = []
    rendered: list[Rendered] = []
    for plan in planned:
        warn(plan.session.warnings)
        name = f"{plan.stem}.mp3"
        tags = Tags(week_title(plan.session), plan.album, track=plan.number)
        done = render_episode(
            plan.session, folder / name, tags, request.render, sounds,
            state.get(name), speech_progress=speech_progress, render_progress=render_progress,
        )  # fmt: skip
        rendered.append(done)
        written[name] = done.fingerprint
        for file, text in _episode_files(plan, done).items():
            _write_if_changed(folder / file, text.encode())
            written[file] = ""
        episodes.append(
            Episode(
                title=week_title(plan.session),
                guid=plan.guid,
                description=describe(plan.session),
                season=plan.season,
                number=plan.number,
                audio_url=base + quote(name),
                audio_bytes=(folder / name).stat().st_size,
                duration_s=round(done.duration_ms / 1000),
                page_url=base + quote(f"{plan.stem}.html"),
                chapters_url=base + quote(f"{plan.stem}.chapters.json"),
                transcript_url=base + quote(f"{plan.stem}.vtt"),
                language=done.language,
            )
        )
    titles = [item.title for item in loaded]
    descriptions = [item.description for item in loaded if isinstance(item, Session)]
    channel = Channel(
        title=" + ".join(titles),
        description=" ".join(d for d in descriptions if d) or f"Workouts: {', '.join(titles)}.",
        language=rendered[0].language if rendered else "en",
        feed_url=base + "feed.xml",
        page_url=base + "index.html",
        image_url=base + "cover.png",
    )
    shared = {
        "feed.xml": feed_xml(channel, episodes).encode(),
        "index.html": _index_page(channel, planned, rendered).encode(),
        "cover.png": cover_png(),
    }
    for file in STATIC_FILES:
        shared[file] = (PLAYER_DIR / file).read_bytes()
    for file, data in shared.items():
        _write_if_changed(folder / file, data)
        written[file] = ""
    for stale in set(state) - set(written):
        if Path(stale).name == stale and not stale.startswith("."):  # only our own files
            (folder / stale).unlink(missing_ok=True)
    _write_if_changed(folder / STATE_FILE, json.dumps(written, indent=1, sort_keys=True).encode())
    fresh = sum(done.fresh for done in rendered)
    return Published(folder / "feed.xml", folder / "index.html", fresh, len(rendered) - fresh)


def plan_episodes(loaded: Sequence[Session | Program], week: int | None = None) -> list[Planned]:
    """Every session in order, numbered: a program's weeks are seasons (season 1
    without weeks), and episodes count up within each season across all files.

    With `week`, only that week of each file's progression is planned.
    """
    planned: list[Planned] = []
    counts: dict[int, int] = {}
    for item in loaded:
        if isinstance(item, Program):
            sessions = [session for _, session in program_weeks(item, week)]
        else:
            sessions = [item if week is None else session_at_week(item, week)]
        for session in sessions:
            season = session.week or 1
            number = counts[season] = counts.get(season, 0) + 1
            title = week_title(session)
            stem = f"s{season:02d}e{number:02d}-{slug(session.title)}"
            guid = episode_guid(item.title, str(season), str(number), title)
            planned.append(Planned(session, item.title, season, number, stem, guid))
    return planned


def slug(title: str) -> str:
    """`title` as a short ASCII file name part: lower case, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:60].rstrip("-") or "session"


def describe(session: Session) -> str:
    """An episode's description (HTML): the session's own, then its exercises."""
    parts = [f"<p>{html.escape(session.description)}</p>"] if session.description else []
    items = "".join(f"<li>{html.escape(exercise_line(e))}</li>" for e in session.exercises)
    return "".join(parts) + f"<p>Exercises:</p><ol>{items}</ol>"


def exercise_line(exercise: Exercise) -> str:
    """``Push-Ups: 3 × 12``, ``Side Plank: 3 × 30 s per side``, as a reader writes it."""
    if exercise.kind is WorkKind.REPS:
        unit = (exercise.unit or "").split("|")[-1]
        amount = f"{exercise.reps} {unit}".strip()
    elif exercise.kind is WorkKind.TIME:
        assert exercise.time_ms is not None
        amount = _duration(exercise.time_ms)
    else:
        amount = f"{exercise.distance_m:g} m"
    side = " per side" if exercise.per_side else ""
    return f"{exercise.name}: {exercise.sets} × {amount}{side}"


def _duration(ms: int) -> str:
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:g} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:02g}" if rest else f"{int(minutes)} min"


def chapters_json(done: Rendered) -> str:
    """Podcasting 2.0 JSON chapters, with the MP3's CHAP frame times to the millisecond."""
    chapters = [
        {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title}
        for c in done.chapters
    ]
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=1)


EPISODE_SUFFIXES = (".cues.json", ".chapters.json", ".vtt", ".html")  # beside each MP3


def _episode_files(plan: Planned, done: Rendered) -> dict[str, str]:
    cues, chapters, vtt, page = (plan.stem + suffix for suffix in EPISODE_SUFFIXES)
    return {
        cues: to_json(done.script),
        chapters: chapters_json(done) + "\n",
        vtt: to_vtt(done.script),
        page: _page(
            "player.html",
            lang=done.language,
            title=week_title(plan.session),
            album=plan.album,
            stem=plan.stem,
        ),
    }


def _index_page(channel: Channel, planned: Sequence[Planned], rendered: Sequence[Rendered]) -> str:
    rows = "\n".join(
        f'<li><a href="{quote(plan.stem)}.html"><span class="num">{plan.season}.{plan.number}'
        f'</span><span class="name">{html.escape(week_title(plan.session))}</span>'
        f'<span class="len">{max(1, round(done.duration_ms / 60000))} min</span></a></li>'
        for plan, done in zip(planned, rendered, strict=True)
    )
    return _page(
        "index.html",
        lang=channel.language,
        title=channel.title,
        feed=channel.feed_url,
        items=rows,
    )


def _page(template: str, *, items: str = "", **values: str) -> str:
    """A page from the template in player/, `values` escaped for HTML, `items` as given.

    Every page starts with the one shared head.html (filled from the same
    values), so the pages' heads cannot drift apart.
    """
    escaped = {key: html.escape(value) for key, value in values.items()}
    # The page's own line break follows "$head": the file's last one would double it.
    head = Template(_template("head.html")).substitute(escaped).removesuffix("\n")
    return Template(_template(template)).substitute(escaped, head=head, items=items)


def _template(name: str) -> str:
    return (PLAYER_DIR / name).read_text(encoding="utf-8")


def _base_url(given: str | None, folder: Path) -> str:
    """The URL the folder is served at, ending in a slash; podcast apps need it absolute.

    Without `given`, the folder's own file:// URL (`as_uri` percent-encodes it).
    """
    base = folder.resolve().as_uri() if given is None else _http_url(given)
    return base if base.endswith("/") else base + "/"


def _http_url(given: str) -> str:
    """`given`, checked, with its host IDNA-encoded and its path percent-encoded: a
    feed's URLs are ASCII. The file names are appended to its path, so a query or a
    fragment would swallow them."""

    def refuse(why: str) -> InputError:
        return InputError([Problem("(command line)", None, "--base-url", f'"{given}" {why}')])

    try:
        parts = urlsplit(given)
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except ValueError:  # a broken IPv6 address, or a host name IDNA refuses
        raise refuse("is not an http:// or https:// URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise refuse("is not an http:// or https:// URL")
    if "?" in given or "#" in given:
        raise refuse("has a query or fragment (? or #): the file names must follow its path")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise refuse("has a bad port: expected a number from 1 to 65535")
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = quote(userinfo, safe="%:!$&'()*+,;=") + at + (f"[{host}]" if ":" in host else host)
    netloc += "" if port is None else f":{port}"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe="/%:@!$&'()*+,;="), "", ""))


def _make_folder(folder: Path) -> None:
    """Make `folder` and its missing parents; if that fails, remove the ones made."""
    missing = [path for path in (folder, *folder.parents) if not os.path.exists(path)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        for path in missing:  # deepest first
            with suppress(OSError):
                path.rmdir()
        raise CuecoachError(f"cannot make folder {folder}: {err.strerror or err}") from err


def _refuse_files_not_ours(
    folder: Path, state: Mapping[str, str], planned: Sequence[Planned]
) -> None:
    """Refuse, before anything is written, to write over a file that an earlier
    publish here did not write: a site's own index.html, or a session file."""
    names = ["feed.xml", "index.html", "cover.png", *STATIC_FILES]
    for plan in planned:
        names += [plan.stem + suffix for suffix in (".mp3", *EPISODE_SUFFIXES)]
    theirs = [name for name in names if name not in state and (folder / name).exists()]
    if theirs:
        listed = ", ".join(theirs[:3]) + (f" and {len(theirs) - 3} more" if len(theirs) > 3 else "")
        message = (
            f"{folder} has files publish did not write ({listed}); "
            "publish into a new folder or one it made"
        )
        raise InputError([Problem("(command line)", None, "--output", message)])


def _read_state(folder: Path) -> dict[str, str]:
    """The file names last written here (MP3s with their fingerprints); empty if unreadable."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    try:
        with output_file(path) as file:
            file.write(data)
    except OSError as err:
        raise CuecoachError(f"cannot write {path}: {err.strerror or err}") from err
