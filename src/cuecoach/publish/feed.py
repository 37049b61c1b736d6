"""The podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.

Pure: episodes in, XML text out. What each element means is in Apple's
podcast RSS requirements and the Podcast Index namespace documentation;
`tests/test_publish.py` checks every element they require.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
NAMESPACES = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM}
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# Episodes are dated one day apart from a fixed day in the past: the dates keep
# program order, stay the same on every publish, and are never in the future
# (Apple hides episodes dated ahead).
FIRST_DAY = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Episode:
    """One item of the feed; URLs are absolute."""

    title: str
    guid: str
    description: str  # HTML
    season: int
    number: int
    audio_url: str
    audio_bytes: int
    duration_s: int
    page_url: str
    chapters_url: str
    transcript_url: str
    language: str  # of the transcript


@dataclass(frozen=True)
class Channel:
    """The feed itself; URLs are absolute."""

    title: str
    description: str
    language: str
    feed_url: str
    page_url: str
    image_url: str


def podcast_guid(feed_url: str) -> str:
    """The feed's `podcast:guid`: a UUIDv5 of its URL without scheme and trailing
    slashes, in the namespace the Podcasting 2.0 specification gives."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def episode_guid(*parts: str) -> str:
    """A guid that stays the same for the same episode of the same feed."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "cuecoach:" + "\x1f".join(parts)))


def feed_xml(channel: Channel, episodes: Sequence[Episode]) -> str:
    """The feed as UTF-8 XML text, episodes in the order given."""
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    rss = ET.Element("rss", {"version": "2.0"})
    ch = ET.SubElement(rss, "channel")
    _text(ch, "title", channel.title)
    _text(ch, "link", channel.page_url)
    _text(ch, "description", channel.description)
    _text(ch, "language", channel.language)
    _text(ch, "generator", "cuecoach")
    ET.SubElement(
        ch,
        f"{{{ATOM}}}link",
        {"href": channel.feed_url, "rel": "self", "type": "application/rss+xml"},
    )
    image = ET.SubElement(ch, "image")
    _text(image, "url", channel.image_url)
    _text(image, "title", channel.title)
    _text(image, "link", channel.page_url)
    ET.SubElement(ch, f"{{{ITUNES}}}image", {"href": channel.image_url})
    category = ET.SubElement(ch, f"{{{ITUNES}}}category", {"text": "Health & Fitness"})
    ET.SubElement(category, f"{{{ITUNES}}}category", {"text": "Fitness"})
    _text(ch, f"{{{ITUNES}}}explicit", "false")
    _text(ch, f"{{{ITUNES}}}author", "cuecoach")
    # Serial: apps list the sessions oldest first, in the order they are done.
    _text(ch, f"{{{ITUNES}}}type", "serial")
    _text(ch, f"{{{PODCAST}}}locked", "yes")
    _text(ch, f"{{{PODCAST}}}guid", podcast_guid(channel.feed_url))
    for index, episode in enumerate(episodes):
        _item(ch, episode, FIRST_DAY + timedelta(days=index))
    ET.indent(rss)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, "unicode") + "\n"


def _item(channel: ET.Element, episode: Episode, date: datetime) -> None:
    item = ET.SubElement(channel, "item")
    _text(item, "title", episode.title)
    _text(item, "link", episode.page_url)
    _text(item, "description", episode.description)
    _text(item, "guid", episode.guid).set("isPermaLink", "false")
    _text(item, "pubDate", format_datetime(date))
    ET.SubElement(
        item,
        "enclosure",
        {"url": episode.audio_url, "length": str(episode.audio_bytes), "type": "audio/mpeg"},
    )
    _text(item, f"{{{ITUNES}}}title", episode.title)
    _text(item, f"{{{ITUNES}}}duration", str(episode.duration_s))
    _text(item, f"{{{ITUNES}}}season", str(episode.season))
    _text(item, f"{{{ITUNES}}}episode", str(episode.number))
    _text(item, f"{{{ITUNES}}}episodeType", "full")
    _text(item, f"{{{ITUNES}}}explicit", "false")
    _text(item, f"{{{PODCAST}}}season", str(episode.season))
    _text(item, f"{{{PODCAST}}}episode", str(episode.number))
    ET.SubElement(
        item,
        f"{{{PODCAST}}}chapters",
        {"url": episode.chapters_url, "type": "application/json+chapters"},
    )
    ET.SubElement(
        item,
        f"{{{PODCAST}}}transcript",
        {"url": episode.transcript_url, "type": "text/vtt", "language": episode.language},
    )


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element
