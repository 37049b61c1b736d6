"""How to render: `ExportOptions`, checked when made.

Every problem with the settings is collected and reported at once. The
sample rates and bitrates allowed are those of MPEG-1 Layer III, so the
tables of them live here; `mp3` reads the same tables for the codes it
writes into frame headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..audio import check_user_file, user_file_problem
from ..errors import AudioError

# MPEG-1 Layer III: the only layer and version the Info frame (mp3.py) is written for.
SAMPLE_RATE_INDEX = {44100: 0, 48000: 1, 32000: 2}
BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


@dataclass(frozen=True)
class ExportOptions:
    """How to render: format settings, loudness, and the optional music bed.

    `bitrate` is for the mono voice-only MP3; with `music` the file is stereo
    at `music_bitrate`. `music_level` is the bed's loudness relative to the
    speech (LU) between cues; under every cue it is lowered by `duck` dB,
    reaching it over `duck_attack` seconds before the cue and recovering over
    `duck_release` after it (it stays down across gaps shorter than
    `duck_hold` seconds), and it fades out over the last `music_fade`
    seconds.
    """

    bitrate: int = 64
    music_bitrate: int = 128
    sample_rate: int = 44100
    # LAME's algorithm quality, 0 best and slowest ... 9 worst. 5 rather than the
    # habitual 2: on speech at 64 kbps and on a music mix at 96-128 kbps it scores
    # better on SNR and log-spectral distance than 2, at 60-85 % of its CPU time
    # (figures in scripts/bench_export.py's docstring).
    quality: int = 5
    loudness: float = -16.0  # LUFS, integrated
    true_peak: float = -1.0  # dBTP ceiling
    music: Path | None = None
    music_level: float = -10.0
    duck: float = -12.0
    duck_attack: float = 0.05
    duck_release: float = 0.4
    duck_hold: float = 1.5  # cues closer than this keep the bed down between them
    music_fade: float = 3.0

    def __post_init__(self) -> None:
        problems = []
        if self.sample_rate not in SAMPLE_RATE_INDEX:
            problems.append(
                f"sample rate {self.sample_rate} Hz is not one of "
                f"{', '.join(map(str, sorted(SAMPLE_RATE_INDEX)))}"
            )
        for name, rate in (("bitrate", self.bitrate), ("music bitrate", self.music_bitrate)):
            if rate not in BITRATES[1:]:
                problems.append(
                    f"{name} {rate} kbps is not one of {', '.join(map(str, BITRATES[1:]))}"
                )
        if not 0 <= self.quality <= 9:
            problems.append(f"quality {self.quality} is outside 0-9")
        if not -40.0 <= self.loudness <= -5.0:
            problems.append(f"loudness {self.loudness} LUFS is outside -40 to -5")
        if not -20.0 <= self.true_peak <= 0.0:
            problems.append(f"true peak {self.true_peak} dBTP is outside -20 to 0")
        if not -60.0 <= self.duck <= 0.0:
            problems.append(f"music ducking {self.duck} dB is outside -60 to 0")
        if not -40.0 <= self.music_level <= 10.0:
            problems.append(f"music level {self.music_level} LU is outside -40 to 10")
        for name, seconds in (
            ("duck attack", self.duck_attack),
            ("duck release", self.duck_release),
            ("duck hold", self.duck_hold),
            ("music fade", self.music_fade),
        ):
            if not 0.0 <= seconds <= 60.0:
                problems.append(f"{name} {seconds} s is outside 0-60 s")
        if problems:
            raise AudioError("invalid export settings: " + "; ".join(problems))
        if self.music is not None:
            # Before any speech is prepared, so a bad file fails at once.
            check_music(self.music)


MUSIC_KEY = "--music"
MIN_MUSIC_SECONDS = 1.0


def check_music(path: Path) -> None:
    """Refuse a music bed that cannot be decoded, has an implausible sample rate,
    or is too short to loop (each loop reopens the decoder: a bed of a few
    samples would take millions of loops, and cannot be music)."""
    if check_user_file(path, MUSIC_KEY) < MIN_MUSIC_SECONDS:
        raise user_file_problem(
            path, MUSIC_KEY, f"is shorter than {MIN_MUSIC_SECONDS:g} s; a music bed loops"
        )
