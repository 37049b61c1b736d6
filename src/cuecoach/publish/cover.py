"""The feed's cover art: a PNG drawn here, so the package ships no image.

Apple Podcasts wants square artwork of 1400 to 3000 pixels; this is the
smallest, a dark field with a ring of twelve ticks like a stopwatch face, in
the player's colours. Drawn with numpy and written with zlib: the same bytes
every time.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIZE = 1400
BACKGROUND = (15, 23, 42)
ACCENT = (250, 204, 21)


def cover_png() -> bytes:
    """The cover as PNG bytes (RGB, SIZE × SIZE)."""
    axis = np.arange(SIZE, dtype=np.float32) - (SIZE - 1) / 2
    y, x = axis[:, None], axis[None, :]
    radius = np.hypot(x, y)
    angle = np.arctan2(y, x)
    ring = np.abs(radius - 0.36 * SIZE) < 0.035 * SIZE
    tick_angle = np.abs(((angle / (2 * np.pi) * 12 + 0.5) % 1) - 0.5) < 0.08
    ticks = tick_angle & (radius > 0.24 * SIZE) & (radius < 0.30 * SIZE)
    hand = (np.abs(x) < 0.02 * SIZE) & (y < 0) & (y > -0.27 * SIZE)
    hub = radius < 0.045 * SIZE
    mask = ring | ticks | hand | hub
    image = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    image[mask] = ACCENT
    rows = np.concatenate([np.zeros((SIZE, 1), dtype=np.uint8), image.reshape(SIZE, -1)], axis=1)
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
