"""The MP3 sink: lameenc's CBR stream, a LAME "Info" frame, and its CRC-16.

The MP3 carries a LAME "Info" tag with the encoder delay and padding, so
gapless decoders (miniaudio, ffmpeg, mutagen, phones) report exactly the
script's duration and put every cue on its sample; decoders that ignore the
tag are off by about 50 ms at most. The Info frame is written last, over a
placeholder behind the ID3 tag, once the stream's frame count, length and
CRC-16 are known.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from functools import lru_cache
from typing import IO

import numpy as np
import numpy.typing as npt

from ..errors import AudioError
from .mix import Plan
from .options import BITRATES, SAMPLE_RATE_INDEX, ExportOptions

_FRAME_SAMPLES = 1152
_ENCODER_DELAY = 576  # LAME's; decoders that read the Info tag skip it plus their own 529


class Mp3Sink:
    """CBR MP3 from lameenc, behind the ID3 tag and a LAME Info frame written last."""

    # lameenc's LAME scales its input by 0.95 (a decoded tone comes back 0.45 dB
    # low); undo that, so the MP3 decodes at the level the limiter and meter
    # chose. The loudness and true-peak tests catch it should that change.
    input_gain = 1.0 / 0.95

    def __init__(self, file: IO[bytes], plan: Plan, options: ExportOptions, id3: bytes) -> None:
        import lameenc

        self._file = file
        self._plan = plan
        self._options = options
        self._bitrate = options.music_bitrate if plan.channels == 2 else options.bitrate
        self._info_size = _frame_length(_info_bitrate(self._bitrate, plan), plan.rate)
        file.write(id3)
        self._info_at = file.tell()
        file.write(bytes(self._info_size))  # replaced by the Info frame in close()
        self._frames = _FrameCounter(plan.rate)
        self._crc = _Crc16()
        self._audio_bytes = 0
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(self._bitrate)
        self._encoder.set_in_sample_rate(plan.rate)
        self._encoder.set_out_sample_rate(plan.rate)
        self._encoder.set_channels(plan.channels)
        self._encoder.set_quality(options.quality)
        self._encoder.silence()

    def write(self, pcm: npt.NDArray[np.int16]) -> None:
        self._emit(bytes(self._encoder.encode(pcm.tobytes())))

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._frames.feed(data)
        self._crc.update(data)
        self._audio_bytes += len(data)

    def close(self) -> None:
        self._emit(bytes(self._encoder.flush()))
        frames, header = self._frames.result()
        padding = frames * _FRAME_SAMPLES - _ENCODER_DELAY - self._plan.total
        if not 0 <= padding < 4096:
            raise AudioError(
                f"the MP3 encoder produced {frames} frames for {self._plan.total} samples"
            )
        info = _info_frame(
            header=header,
            bitrate=_info_bitrate(self._bitrate, self._plan),
            rate=self._plan.rate,
            channels=self._plan.channels,
            quality=self._options.quality,
            stream_bitrate=self._bitrate,
            frames=frames,
            stream_bytes=self._info_size + self._audio_bytes,
            padding=padding,
            music_crc=self._crc.digest(),
        )
        self._file.seek(self._info_at)
        self._file.write(info)
        self._file.seek(0, os.SEEK_END)


def decoded_blocks(file: IO[bytes], channels: int, rate: int) -> Iterator[npt.NDArray[np.float32]]:
    """The MP3 in `file` decoded from its start, one second at a time, shape (n, channels).

    Read from the file as the decoder asks: an hour of music at 128 kbps is
    58 MB, too much to hold in memory besides everything else.
    """
    import miniaudio

    class Source(miniaudio.StreamableSource):  # type: ignore[misc]  # miniaudio is untyped
        def read(self, num_bytes: int) -> bytes:
            return file.read(num_bytes)

        def seek(self, offset: int, origin: miniaudio.SeekOrigin) -> bool:
            file.seek(offset, os.SEEK_SET if origin == miniaudio.SeekOrigin.START else os.SEEK_CUR)
            return True

    file.seek(0)
    stream = miniaudio.stream_any(
        Source(),
        source_format=miniaudio.FileFormat.MP3,
        output_format=miniaudio.SampleFormat.FLOAT32,
        nchannels=channels,
        sample_rate=rate,
        frames_to_read=rate,
    )
    for chunk in stream:
        yield np.frombuffer(chunk, dtype=np.float32).reshape(-1, channels)


class _FrameCounter:
    """Counts MPEG-1 Layer III frames in a byte stream fed in arbitrary pieces."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._skip = 0  # bytes left of the current frame
        self._partial = b""  # a header split across pieces
        self.frames = 0
        self.first_header = b""

    def feed(self, data: bytes) -> None:
        """Account for the next piece of the stream."""
        if self._partial:
            data = self._partial + data
            self._partial = b""
        pos = self._skip
        while pos + 4 <= len(data):
            header = data[pos : pos + 4]
            if header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
                raise AudioError("the MP3 encoder produced an unexpected stream")
            if not self.first_header:
                self.first_header = header
            self.frames += 1
            pos += _frame_length(BITRATES[header[2] >> 4], self._rate) + (header[2] >> 1 & 1)
        if pos < len(data):
            self._partial = data[pos:]
            self._skip = 0
        else:
            self._skip = pos - len(data)

    def result(self) -> tuple[int, bytes]:
        """The number of frames and the first frame's header."""
        if self._partial or not self.frames:
            raise AudioError("the MP3 encoder produced a truncated stream")
        return self.frames, self.first_header


def _frame_length(bitrate: int, rate: int) -> int:
    """Bytes in an unpadded MPEG-1 Layer III frame."""
    return 144_000 * bitrate // rate


def _side_info_length(channels: int) -> int:
    return 17 if channels == 1 else 32


def _info_bitrate(bitrate: int, plan: Plan) -> int:
    """The stream's own bitrate when the Info tag fits in such a frame, else the next that does."""
    needed = 4 + _side_info_length(plan.channels) + 120 + 36
    for candidate in BITRATES:
        if candidate >= bitrate and _frame_length(candidate, plan.rate) >= needed:
            return candidate
    raise AssertionError("a 320 kbps frame always fits the Info tag")


def _info_frame(
    *,
    header: bytes,
    bitrate: int,
    rate: int,
    channels: int,
    quality: int,
    stream_bitrate: int,
    frames: int,
    stream_bytes: int,
    padding: int,
    music_crc: int,
) -> bytes:
    """A silent first frame holding the Xing "Info" and LAME tags (CBR).

    Layout as LAME's own VbrTag.c writes it: frame count and byte count of the
    stream, a linear seek table, then the LAME extension with the encoder
    delay and padding that make playback gapless and sample-exact.
    """
    first = bytes(
        [
            0xFF,
            header[1],
            BITRATES.index(bitrate) << 4 | SAMPLE_RATE_INDEX[rate] << 2 | (header[2] & 0x01),
            header[3],
        ]
    )
    toc = bytes(i * 256 // 100 for i in range(100))
    vbr_scale = 100 - 10 * 4 - quality  # LAME's default VBR quality 4 with -q quality
    xing = b"Info" + struct.pack(">III", 0x0F, frames, stream_bytes) + toc
    xing += struct.pack(">I", vbr_scale)
    source_rate = {32000: 0, 44100: 1, 48000: 2}[rate]
    stereo_mode = 0 if channels == 1 else 3  # mono / joint stereo, lameenc's default
    lame = (
        b"LAME3.100"
        + bytes([0x01])  # tag revision 0, CBR
        + bytes([0])  # lowpass unknown
        + bytes(8)  # no ReplayGain
        + bytes([0])  # encoding flags, ATH type
        + bytes([min(stream_bitrate, 255)])
        + bytes([_ENCODER_DELAY >> 4, (_ENCODER_DELAY & 0x0F) << 4 | padding >> 8, padding & 0xFF])
        + bytes([source_rate << 6 | stereo_mode << 2])
        + bytes([0])  # MP3Gain
        + bytes(2)  # surround info, preset
        + struct.pack(">IH", stream_bytes, music_crc)
    )
    frame = first + bytes(_side_info_length(channels)) + xing + lame
    frame += struct.pack(">H", _crc16(frame))
    return frame + bytes(_frame_length(bitrate, rate) - len(frame))


# --- CRC-16 (the LAME tag's checksum: CRC-16/ARC) --------------------------------------


@lru_cache(maxsize=1)
def _crc_table() -> npt.NDArray[np.uint32]:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1).astype(np.uint32)
    return table


def _crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of `data`, continuing from `crc`; a byte at a time, for short inputs."""
    table = _crc_table()
    for byte in data:
        crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
    return crc


@lru_cache(maxsize=4)
def _crc_skip_tables(width: int) -> tuple[list[int], list[int]]:
    """How a CRC changes over `width` zero bytes, for its low and its high byte.

    The CRC is linear, so carrying a CRC `c` across `width` bytes of data is
    the CRC of the data from zero XOR ``low[c & 0xFF] ^ high[c >> 8]``.
    """
    table = _crc_table()
    crc = np.concatenate([np.arange(256), np.arange(256) << 8]).astype(np.uint32)
    for _ in range(width):
        crc = (crc >> 8) ^ table[crc & 0xFF]
    return [int(v) for v in crc[:256]], [int(v) for v in crc[256:]]


class _Crc16:
    """CRC-16/ARC of a long stream, computed a megabyte at a time.

    Rows of the buffer are checksummed side by side with numpy and then
    chained, since a byte-at-a-time loop in Python would cost seconds per hour
    of audio.
    """

    _ROW = 1024
    _BATCH = 1 << 20

    def __init__(self) -> None:
        self._crc = 0
        self._pending = bytearray()

    def update(self, data: bytes) -> None:
        """Add `data` to the checksummed stream."""
        self._pending += data
        if len(self._pending) >= self._BATCH:
            self._consume_rows()

    def digest(self) -> int:
        """The CRC of everything added."""
        self._consume_rows()
        crc = _crc16(bytes(self._pending), self._crc)
        self._crc, self._pending = crc, bytearray()
        return crc

    def _consume_rows(self) -> None:
        whole = len(self._pending) // self._ROW * self._ROW
        if not whole:
            return
        rows = np.frombuffer(bytes(self._pending[:whole]), dtype=np.uint8).reshape(-1, self._ROW)
        del self._pending[:whole]
        table = _crc_table()
        columns = np.ascontiguousarray(rows.T).astype(np.uint32)
        crcs = np.zeros(len(rows), dtype=np.uint32)
        crcs[0] = self._crc
        for column in columns:
            crcs = (crcs >> 8) ^ table[(crcs ^ column) & 0xFF]
        low, high = _crc_skip_tables(self._ROW)
        crc = int(crcs[0])
        for row_crc in crcs[1:].tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ row_crc
        self._crc = crc
