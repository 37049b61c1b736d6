"""Publish sessions as a private podcast with a web player, and serve it.

`folder` writes the published folder (feed, MP3s, chapters, transcripts,
player pages), `feed` builds the RSS, `render` is the one door to the
pipeline and the export, `cover` draws the artwork, `player/` holds the
web player's files, and `server` serves a folder over HTTP behind a token.
publish never imports live.
"""

from __future__ import annotations

from .folder import Published, PublishRequest, publish
from .render import RenderSettings

__all__ = ["PublishRequest", "Published", "RenderSettings", "publish"]
