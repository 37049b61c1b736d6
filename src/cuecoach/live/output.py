"""Where the mixed frames go: a sound device, or nowhere at the pace of the clock."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from ..audio import Samples, to_int16
from ..errors import AudioError
from .clock import Clock

FrameReader = Callable[[int], Samples]
"""Returns the next N mono float32 frames of the session."""

NO_DEVICE_HINT = (
    "play without sound with --no-audio, or render the session to a file with `cuecoach export`"
)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 while miniaudio probes backends.

    ALSA prints dozens of lines straight to fd 2 on a machine without a
    sound card; the AudioError raised afterwards says what matters.
    """
    if sys.platform == "win32":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class AudioOutput(Protocol):
    """A consumer of frames that pulls them from the player like a sound card does."""

    @property
    def sample_rate(self) -> int:
        """Frames per second the output consumes."""
        ...

    @property
    def latency(self) -> float:
        """Seconds between handing a frame over and it being heard."""
        ...

    @property
    def audible(self) -> bool:
        """Whether anyone hears the frames (if not, cues need no clips)."""
        ...

    def start(self, read: FrameReader, clock: Clock) -> None:
        """Begin pulling frames from `read`."""
        ...

    def pump(self) -> float | None:
        """Pull what is due by now; return when to call again, or None if self-driven.

        Raises `AudioError` if the device failed since the last call.
        """
        ...

    def stop(self) -> None:
        """Stop pulling and release the device. Safe to call twice."""
        ...


class PacedOutput:
    """Pulls fixed blocks on the player's clock and hands each to `sink`.

    Block k is pulled at ``start + k * block / sample_rate``, just as a device
    would ask for it, so with a virtual clock a whole session runs instantly,
    and with the real clock it runs in real time. Recording sinks make it the
    fake sound device of the tests.
    """

    def __init__(
        self,
        sample_rate: int = 48_000,
        *,
        block: int | None = None,
        sink: Callable[[Samples], None] | None = None,
        audible: bool = True,
    ) -> None:
        self._rate = sample_rate
        self._block = block or max(1, sample_rate // 100)
        self._sink = sink
        self._audible = audible
        self._read: FrameReader | None = None
        self._clock: Clock | None = None
        self._started_at = 0.0
        self.frames_pulled = 0

    @property
    def sample_rate(self) -> int:
        """Frames per second."""
        return self._rate

    @property
    def latency(self) -> float:
        """Zero: a block counts as played the moment it is pulled."""
        return 0.0

    @property
    def audible(self) -> bool:
        """As given to the constructor."""
        return self._audible

    def start(self, read: FrameReader, clock: Clock) -> None:
        """Remember the source; the first block is due now."""
        self._read = read
        self._clock = clock
        self._started_at = clock.now()
        self.frames_pulled = 0

    def pump(self) -> float | None:
        """Pull every block whose time has come; return when the next one is due."""
        if self._read is None or self._clock is None:
            return None
        now = self._clock.now()
        while self._due(self.frames_pulled) <= now:
            frames = self._read(self._block)
            self.frames_pulled += self._block
            if self._sink is not None:
                self._sink(frames)
        return self._due(self.frames_pulled)

    def _due(self, frame: int) -> float:
        return self._started_at + frame / self._rate

    def stop(self) -> None:
        """Stop pulling."""
        self._read = None


class TextOutput(PacedOutput):
    """The `--no-audio` output: keeps time and throws the frames away.

    The cues still appear, as text, on the display as they happen.
    """

    def __init__(self, sample_rate: int = 8_000) -> None:
        # Nobody hears the blocks, so they can be long and cheap.
        super().__init__(sample_rate, block=sample_rate // 20, audible=False)


class MiniaudioOutput:
    """The default sound device through miniaudio, pulling frames on its own thread.

    The device opens in the constructor so that a machine without sound fails
    before any speech is prepared. `backends` picks miniaudio backends (the
    tests use ``[miniaudio.Backend.NULL]``, a device that consumes frames in
    real time without a sound card).
    """

    def __init__(
        self,
        sample_rate: int = 48_000,
        *,
        backends: Sequence[Any] | None = None,
        buffer_ms: int = 20,
    ) -> None:
        import miniaudio

        self._rate = sample_rate
        self._buffer_ms = buffer_ms
        self._error: BaseException | None = None
        self.frames_pulled = 0
        wanted = list(backends or [])
        try:
            with _quiet_stderr():
                self._device: Any = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.FLOAT32,
                    nchannels=1,
                    sample_rate=sample_rate,
                    buffersize_msec=buffer_ms,
                    backends=wanted or None,
                    app_name="cuecoach",
                )
        except miniaudio.MiniaudioError as error:
            detail = ", ".join(str(arg) for arg in error.args)
            message = f"no sound device could be opened ({detail}); {NO_DEVICE_HINT}"
            raise AudioError(message) from error
        # Without an explicit list miniaudio falls back to its null backend,
        # which plays into the void: treat that as no device at all.
        if self._device.backend == "Null" and miniaudio.Backend.NULL not in wanted:
            self._device.close()
            raise AudioError(f"no sound device found; {NO_DEVICE_HINT}")

    @property
    def backend(self) -> str:
        """The miniaudio backend in use, e.g. "PulseAudio" or "Null"."""
        return str(self._device.backend)

    @property
    def sample_rate(self) -> int:
        """Frames per second asked of the device (miniaudio converts if needed)."""
        return self._rate

    @property
    def latency(self) -> float:
        """About three periods of `buffer_ms` (miniaudio's default period count)."""
        return 3 * self._buffer_ms / 1000

    @property
    def audible(self) -> bool:
        """True."""
        return True

    def start(self, read: FrameReader, clock: Clock) -> None:
        """Start the device; it calls `read` from its own thread from now on."""

        def frames() -> Any:
            wanted = yield b""
            while True:
                try:
                    chunk = read(wanted)
                    self.frames_pulled += wanted
                except Exception as error:
                    # An exception raised into miniaudio's callback would only
                    # be printed; keep it for `pump` to raise on the main thread.
                    self._error = error
                    return
                wanted = yield chunk.tobytes()

        generator = frames()
        next(generator)
        self._device.start(generator)

    def pump(self) -> float | None:
        """Nothing to pull (the device does); raise what went wrong on its thread."""
        if self._error is not None:
            raise AudioError(f"audio playback failed: {self._error}") from self._error
        return None

    def stop(self) -> None:
        """Stop and close the device."""
        self._device.close()


class SimpleaudioOutput(PacedOutput):
    """Plays through `simpleaudio` (optional extra), one short buffer per block.

    Only for systems where miniaudio has no working backend; simpleaudio has
    no pull callback, so this queues consecutive 100 ms buffers on the clock.
    """

    def __init__(self, sample_rate: int = 48_000) -> None:
        if importlib.util.find_spec("simpleaudio") is None:
            raise AudioError(f"simpleaudio is not installed; {NO_DEVICE_HINT}")
        import simpleaudio

        self._simpleaudio: Any = simpleaudio
        super().__init__(sample_rate, block=sample_rate // 10, sink=self._play_block)

    def _play_block(self, frames: Samples) -> None:
        try:
            self._simpleaudio.play_buffer(to_int16(frames).tobytes(), 1, 2, self.sample_rate)
        except Exception as error:
            raise AudioError(f"simpleaudio could not play: {error}; {NO_DEVICE_HINT}") from error

    @property
    def latency(self) -> float:
        """One block."""
        return 0.1


def simpleaudio_available() -> bool:
    """Whether the optional `simpleaudio` package can be imported."""
    return importlib.util.find_spec("simpleaudio") is not None


def open_device() -> AudioOutput:
    """The default sound device: miniaudio's, else simpleaudio's when it is installed."""
    try:
        return MiniaudioOutput()
    except AudioError:
        if not simpleaudio_available():
            raise
        return SimpleaudioOutput()
