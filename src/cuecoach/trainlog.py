"""The training log: every session played, and how each of its sets went.

SQLite in the user data folder. The schema carries its version in
``PRAGMA user_version`` and is brought up to date by the steps in
`MIGRATIONS`, each in one transaction. A play is written in two transactions:
its row when it starts, its sets and end when it stops; SQLite's journal
makes each all-or-nothing, so a process killed mid-write leaves the log as it
was before that write.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .cuescript import CueScript, SegmentKind
from .errors import CuecoachError
from .model import Session
from .progression import week_allowed
from .userdirs import user_folder

if TYPE_CHECKING:
    from .live import PlayResult

# Step N brings a database from version N to N + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        session TEXT NOT NULL,
        title TEXT NOT NULL,
        week INTEGER,
        completed INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    ALTER TABLE plays ADD COLUMN ended_at TEXT;
    ALTER TABLE plays ADD COLUMN paused_ms INTEGER;
    CREATE TABLE sets (
        play_id INTEGER NOT NULL REFERENCES plays(id),
        exercise TEXT NOT NULL,
        set_number INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('done', 'skipped', 'ended early')),
        amrap_count INTEGER,
        PRIMARY KEY (play_id, exercise, set_number)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
OUTCOMES = ("done", "skipped", "ended early")


class LogError(CuecoachError):
    """The training log cannot be opened or written."""


@dataclass(frozen=True)
class SetOutcome:
    """How one set of a play went."""

    exercise: str
    set_number: int
    outcome: str  # one of OUTCOMES
    amrap_count: int | None = None


@dataclass(frozen=True)
class Play:
    """One logged play of a session."""

    id: int
    started_at: str  # ISO 8601, UTC
    session: str  # the session file's resolved path
    title: str
    week: int | None
    completed: bool
    ended_at: str | None
    paused_ms: int | None
    sets_done: int
    sets_total: int


def default_path() -> Path:
    """The log's file in the user data folder."""
    return user_folder("data") / "training-log.sqlite3"


def session_key(session: Session) -> str:
    """What identifies a session in the log: its file, resolved."""
    return str(session.path.resolve()) if session.path is not None else session.title


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database at `conn` to `SCHEMA_VERSION`, one step per transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise LogError(f"the training log is from a newer cuecoach (schema {version})")
    for step in range(version, SCHEMA_VERSION):
        # executescript commits first; BEGIN makes the step and its version one transaction.
        conn.executescript(f"BEGIN; {MIGRATIONS[step]} PRAGMA user_version = {step + 1}; COMMIT;")


class TrainingLog:
    """The log at `path` (default: the user data folder), migrated on opening."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self.conn)
        except (OSError, sqlite3.Error) as err:
            raise LogError(f"cannot open the training log {self.path}: {err}") from err

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as err:
            raise LogError(f"cannot write the training log {self.path}: {err}") from err

    def start(self, session: Session) -> int:
        """Log that `session` (at its week) starts now; returns the play's id."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO plays (started_at, session, title, week) VALUES (?, ?, ?, ?)",
                (_now(), session_key(session), session.title, session.week),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish(self, play_id: int, sets: Sequence[SetOutcome], paused_ms: int | None) -> None:
        """Log how the play `play_id` went; completed when every set was done."""
        completed = bool(sets) and all(s.outcome == "done" for s in sets)
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO sets VALUES (?, ?, ?, ?, ?)",
                [(play_id, s.exercise, s.set_number, s.outcome, s.amrap_count) for s in sets],
            )
            conn.execute(
                "UPDATE plays SET ended_at = ?, paused_ms = ?, completed = ? WHERE id = ?",
                (_now(), paused_ms, int(completed), play_id),
            )

    def recent(self, limit: int | None = None) -> list[Play]:
        """The latest plays first."""
        rows = self.conn.execute(
            """
            SELECT p.id, p.started_at, p.session, p.title, p.week, p.completed, p.ended_at,
                   p.paused_ms, COUNT(CASE WHEN s.outcome = 'done' THEN 1 END), COUNT(s.play_id)
            FROM plays p LEFT JOIN sets s ON s.play_id = p.id
            GROUP BY p.id ORDER BY p.started_at DESC, p.id DESC LIMIT ?
            """,
            (-1 if limit is None else limit,),
        ).fetchall()
        return [Play(r[0], r[1], r[2], r[3], r[4], bool(r[5]), *r[6:]) for r in rows]

    def last_play(self, session: Session) -> Play | None:
        """The latest play of `session`, if any."""
        key = session_key(session)
        return next((p for p in self.recent() if p.session == key), None)

    def outcomes(self, play_id: int) -> dict[tuple[str, int], str]:
        """How each set of the play `play_id` went, by (exercise, set number)."""
        rows = self.conn.execute(
            "SELECT exercise, set_number, outcome FROM sets WHERE play_id = ?", (play_id,)
        ).fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    def csv_text(self) -> str:
        """Every set of every play as CSV, one row per set (a play without sets: one row)."""
        rows: Iterable[Sequence[object]] = self.conn.execute(
            """
            SELECT p.id, p.started_at, p.ended_at, p.session, p.title, p.week, p.completed,
                   p.paused_ms, s.exercise, s.set_number, s.outcome, s.amrap_count
            FROM plays p LEFT JOIN sets s ON s.play_id = p.id
            ORDER BY p.id, s.rowid
            """
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["play", "started_at", "ended_at", "session", "title", "week", "completed",
             "paused_ms", "exercise", "set", "outcome", "amrap_count"]
        )  # fmt: skip
        writer.writerows(rows)
        return out.getvalue()


def next_week(session: Session, log: TrainingLog | None = None) -> int:
    """The week `session` is done next, as its "if completed" rules allow."""
    own = log is None
    log = log or TrainingLog()
    try:
        last = log.last_play(session)
    finally:
        if own:
            log.close()
    if last is None:
        return 1
    return week_allowed(last.week or 1, last.completed, None)


# How the live player's outcomes are logged: a set in progress when the session
# was quit counts as ended early.
_LOGGED = {
    "done": "done",
    "ended_early": "ended early",
    "skipped": "skipped",
    "stopped": "ended early",
}
_WORST = ("skipped", "ended early", "done")  # a per-side set is logged as its worse side


def set_outcomes(
    script: CueScript,
    result: PlayResult,
    start_ms: int = 0,
    carried: Mapping[tuple[str, int], str] | None = None,
) -> list[SetOutcome]:
    """How each set of `script` went in a play, from the live player's records.

    A set the play never reached (after q) was skipped; a per-side set is
    logged once, as the worse of its two sides went. An exercise that comes
    twice in a session has its sets numbered on: the second block of two is
    logged as its sets 3 and 4, never over the first. A play that started at
    `start_ms` (`--from`, carrying on a stopped play) logs each set over
    before then as `carried` says it went, else as skipped.
    """
    logged: dict[int, tuple[str, int]] = {}  # work segment index -> (exercise, set as logged)
    counted: dict[str, int] = {}
    ends: dict[tuple[str, int], int] = {}  # when each set's last side ends
    for index, seg in enumerate(script.segments):
        if seg.kind is not SegmentKind.WORK or seg.exercise is None or seg.set is None:
            continue
        if seg.side in (None, 1):  # a set starts (its second side is the same set)
            counted[seg.exercise] = counted.get(seg.exercise, 0) + 1
        logged[index] = (seg.exercise, counted.get(seg.exercise, 1))
        ends[logged[index]] = seg.end_ms
    played: dict[tuple[str, int], str] = {}
    for record in result.sets:
        key = logged.get(record.segment_index)
        if key is None:
            continue
        outcome = _LOGGED[record.outcome.value]
        if key in played:
            outcome = min(outcome, played[key], key=_WORST.index)
        played[key] = outcome
    for key, end in ends.items():  # over before the play started, and not gone back to
        if end <= start_ms and key not in played:
            played[key] = (carried or {}).get(key, "skipped")
    return [
        SetOutcome(name, number, played.get((name, number), "skipped"))
        for name, number in dict.fromkeys(logged.values())
    ]


def with_amrap_counts(
    sets: Sequence[SetOutcome], amrap: Iterable[str], ask: Callable[[str], str]
) -> list[SetOutcome]:
    """`sets` with the rep count of each as-many-as-you-can set that was done,
    as the user answers `ask(question)`; a blank or unreadable answer leaves it out."""
    names = set(amrap)
    out: list[SetOutcome] = []
    for s in sets:
        count = None
        if s.exercise in names and s.outcome == "done":
            answer = ask(f"{s.exercise}, set {s.set_number}: how many reps? (Enter to skip)")
            count = int(answer) if answer.strip().isdigit() else None
        out.append(dataclasses.replace(s, amrap_count=count))
    return out
