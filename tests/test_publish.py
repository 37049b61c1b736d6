"""`cuecoach publish`: the feed, chapters, transcripts and pages, rendered for real
(espeak, real MP3s read back with mutagen, the feed parsed with feedparser)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import mutagen.id3
import pytest
from click.testing import CliRunner

from cuecoach.cli import cli
from cuecoach.cuescript import CueKind
from cuecoach.model import Program
from cuecoach.parse import load
from cuecoach.publish.feed import ITUNES, NAMESPACES, PODCAST, podcast_guid
from cuecoach.publish.folder import plan_episodes

DATA = Path(__file__).parent / "data" / "publish"
BASE = "http://192.0.2.7:8765/token/"
NS = {"itunes": ITUNES, "podcast": PODCAST}

# What Apple's podcast RSS requirements and the Podcasting 2.0 namespace ask
# of a feed and of each episode (required, or needed for what we promise).
CHANNEL_REQUIRED = ["title", "link", "description", "language", "itunes:image",
                    "itunes:category", "itunes:explicit", "itunes:author", "podcast:guid",
                    "podcast:locked"]  # fmt: skip
ITEM_REQUIRED = ["title", "link", "description", "guid", "pubDate", "enclosure",
                 "itunes:duration", "itunes:season", "itunes:episode", "itunes:episodeType",
                 "podcast:season", "podcast:episode", "podcast:chapters",
                 "podcast:transcript"]  # fmt: skip


@dataclass(frozen=True)
class Run:
    folder: Path
    output: str


def publish(files: list[Path], folder: Path, *extra: str) -> Run:
    args = ["publish", *map(str, files), "-o", str(folder), "--engine", "espeak", *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Run(folder, result.output)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Run:
    # The module shares one render; the autouse fixture isolates per test only.
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home / "cache"))
        patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
        return publish([DATA / "short-week.toml"], home / "site", "--base-url", BASE)


def feed_tree(run: Run) -> ET.Element:
    return ET.parse(run.folder / "feed.xml").getroot()


def local(run: Run, url: str) -> Path:
    assert url.startswith(BASE), url
    return run.folder / url.removeprefix(BASE)


def test_feed_has_every_required_element(week: Run) -> None:
    channel = feed_tree(week).find("channel")
    assert channel is not None
    missing = [tag for tag in CHANNEL_REQUIRED if channel.find(tag, NS) is None]
    assert missing == []
    items = channel.findall("item")
    assert len(items) == 2
    for item in items:
        assert [tag for tag in ITEM_REQUIRED if item.find(tag, NS) is None] == []
    image = channel.find("itunes:image", NS)
    assert (
        image is not None
        and local(week, image.get("href", "")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    )


def test_feed_parses_with_feedparser_in_program_order(week: Run) -> None:
    parsed: Any = feedparser.parse((week.folder / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Short Week"
    assert parsed.feed.language == "en"
    assert parsed.feed.image.href == BASE + "cover.png"
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Short A – Push & Hold", "Short B – Squats"]
    dates = [parsedate_to_datetime(entry.published) for entry in parsed.entries]
    assert dates == sorted(dates) and len(set(dates)) == 2
    assert [(e.itunes_season, e.itunes_episode) for e in parsed.entries] == [("1", "1"), ("1", "2")]
    for entry in parsed.entries:
        (enclosure,) = entry.enclosures
        audio = local(week, enclosure.href)
        assert int(enclosure.length) == audio.stat().st_size
        assert enclosure.type == "audio/mpeg"
        cues = json.loads(audio.with_suffix(".cues.json").read_text(encoding="utf-8"))
        assert entry.itunes_duration == str(round(cues["duration"]))
        assert entry.link == BASE + audio.with_suffix(".html").name
        assert local(week, entry.link).is_file()
        assert not entry.guidislink


def test_description_is_the_session_description_then_its_exercises(week: Run) -> None:
    parsed: Any = feedparser.parse((week.folder / "feed.xml").read_bytes())
    first, second = (entry.description for entry in parsed.entries)
    assert first.startswith("<p>Two quick moves to test publishing.</p>")
    assert "<li>Push-Ups: 2 × 4</li><li>Side Plank: 2 × 5 s per side</li>" in first
    assert second == "<p>Exercises:</p><ol><li>Goblet Squat: 2 × 3</li></ol>"


def test_podcast_guid_follows_the_podcasting_2_0_recipe(week: Run) -> None:
    # The specification's own example.
    expected = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml/") == expected
    guid = feed_tree(week).find("channel/podcast:guid", NS)
    assert guid is not None and guid.text == podcast_guid(BASE + "feed.xml")


def test_chapters_json_matches_the_mp3_chap_frames(week: Run) -> None:
    for item in feed_tree(week).iter("item"):
        chapters_link = item.find("podcast:chapters", NS)
        enclosure = item.find("enclosure")
        assert chapters_link is not None and enclosure is not None
        assert chapters_link.get("type") == "application/json+chapters"
        data = json.loads(local(week, chapters_link.get("url", "")).read_text(encoding="utf-8"))
        assert data["version"] == "1.2.0"
        id3: Any = mutagen.id3  # unannotated
        tag = id3.ID3(local(week, enclosure.get("url", "")))
        frames = sorted(tag.getall("CHAP"), key=lambda frame: frame.start_time)
        assert len(frames) == len(data["chapters"]) >= 1
        for frame, chapter in zip(frames, data["chapters"], strict=True):
            assert round(chapter["startTime"] * 1000) == frame.start_time
            assert round(chapter["endTime"] * 1000) == frame.end_time
            assert chapter["title"] == frame.sub_frames["TIT2"].text[0]


def test_transcript_is_the_spoken_cues_as_webvtt(week: Run) -> None:
    for item in feed_tree(week).iter("item"):
        link = item.find("podcast:transcript", NS)
        assert link is not None and link.get("type") == "text/vtt" and link.get("language") == "en"
        vtt = local(week, link.get("url", "")).read_text(encoding="utf-8")
        cues = json.loads(local(week, link.get("url", "")).with_suffix(".cues.json").read_text())
        spoken = [c["text"] for c in cues["cues"] if c["kind"] == CueKind.SPEECH.value]
        assert vtt.startswith("WEBVTT\n\n")
        assert vtt.count(" --> ") == len(spoken) and spoken[0] in vtt


def test_pages_point_at_their_own_files(week: Run) -> None:
    page = next(week.folder.glob("s01e01-*.html")).read_text(encoding="utf-8")
    stem = next(week.folder.glob("s01e01-*.mp3")).stem
    for name in (f"{stem}.mp3", f"{stem}.cues.json", f"{stem}.chapters.json"):
        assert f'"{name}"' in page and (week.folder / name).is_file()
    assert "<title>Short A – Push &amp; Hold</title>" in page
    index = (week.folder / "index.html").read_text(encoding="utf-8")
    assert f'href="{stem}.html"' in index and BASE + "feed.xml" in index
    # Short B lasts 19 s: "1 min", not "0 min".
    assert re.findall(r'class="len">(\d+) min<', index) == ["1", "1"]
    for name in ("player.js", "player.css", "cover.png"):
        assert (week.folder / name).is_file()


class HeadElements(HTMLParser):
    """The elements inside a page's <head>, as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self.inside = True
        elif self.inside:
            self.elements.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.inside = False


def test_every_page_has_the_same_head(week: Run) -> None:
    """The index and the player pages look alike on a phone: the same viewport,
    colours, icon and style sheet (a player page adds only its script)."""
    heads = {}
    for page in sorted(week.folder.glob("*.html")):
        parser = HeadElements()
        parser.feed(page.read_text(encoding="utf-8"))
        heads[page.name] = [e for e in parser.elements if e[0] != "script"]
    assert len(heads) == 3
    index = heads["index.html"]
    assert ("link", [("rel", "stylesheet"), ("href", "player.css")]) in index
    assert all(head == index for head in heads.values()), heads


def test_files_publish_did_not_write_are_never_written_over(tmp_path: Path) -> None:
    # A site's own index.html (or a session file named feed.xml) was replaced.
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>my site</h1>", encoding="utf-8")
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    args = ["publish", str(DATA / "short-a.toml"), "-o", str(site), "--engine", "espeak"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "has files publish did not write (index.html)" in result.output
    assert sorted(p.name for p in site.iterdir()) == ["index.html", "notes.txt"]
    assert (site / "index.html").read_text(encoding="utf-8") == "<h1>my site</h1>"
    (site / "index.html").unlink()
    publish([DATA / "short-a.toml"], site)  # its own files, again: fine
    publish([DATA / "short-a.toml"], site)
    assert (site / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_only_what_changed_is_rendered_again(tmp_path: Path) -> None:
    for name in ("short-a.toml", "short-b.toml", "short-week.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    site = tmp_path / "site"
    assert "(2 rendered, 0 unchanged)" in publish([tmp_path / "short-week.toml"], site).output
    feed_before = (site / "feed.xml").read_bytes()
    mtimes = {p.name: p.stat().st_mtime_ns for p in site.iterdir()}
    assert "(0 rendered, 2 unchanged)" in publish([tmp_path / "short-week.toml"], site).output
    assert {p.name: p.stat().st_mtime_ns for p in site.iterdir()} == mtimes
    assert (site / "feed.xml").read_bytes() == feed_before

    edited = (tmp_path / "short-b.toml").read_text(encoding="utf-8").replace("2x3", "2x5")
    (tmp_path / "short-b.toml").write_text(edited, encoding="utf-8")
    assert "(1 rendered, 1 unchanged)" in publish([tmp_path / "short-week.toml"], site).output
    first_mp3 = next(site.glob("s01e01-*.mp3")).name
    assert (site / first_mp3).stat().st_mtime_ns == mtimes[first_mp3]
    guids = [g.text for g in ET.fromstring(feed_before).iter("guid")]
    assert [g.text for g in feed_tree(Run(site, "")).iter("guid")] == guids

    # A session that left the program takes its files with it; others' files stay.
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    publish([tmp_path / "short-a.toml"], site)
    assert not list(site.glob("s01e02-*")) and (site / "notes.txt").is_file()


def test_feed_urls_are_percent_encoded_ascii(tmp_path: Path) -> None:
    site = tmp_path / "my site"
    publish([DATA / "short-a.toml"], site)
    mp3 = next(site.glob("*.mp3"))
    enclosure = feed_tree(Run(site, "")).find("channel/item/enclosure")
    # Without --base-url, the folder's own file:// URL.
    assert enclosure is not None and enclosure.get("url") == mp3.resolve().as_uri()
    publish([DATA / "short-a.toml"], site, "--base-url", "https://Bücher.example/a b/ü")
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\"<\s]+", feed)) - set(NAMESPACES.values())
    base = "https://xn--bcher-kva.example/a%20b/%C3%BC/"
    assert len(urls) == 7 and all(url.startswith(base) for url in urls), urls
    assert base + mp3.name in urls


def test_weeks_of_a_program_become_seasons() -> None:
    program = load(DATA / "short-week.toml")
    assert isinstance(program, Program)
    planned = plan_episodes([replace(program, weeks=3)])
    numbers = [(p.season, p.number) for p in planned]
    assert numbers == [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)]
    assert planned[2].stem.startswith("s02e01-short-a-push-hold")
    assert [p.session.week for p in planned] == [1, 1, 2, 2, 3, 3]
    assert len({p.guid for p in planned}) == 6
    # --week N: only that week, as its own season.
    only = plan_episodes([replace(program, weeks=3)], week=2)
    assert [(p.season, p.number, p.session.week) for p in only] == [(2, 1, 2), (2, 2, 2)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.toml"], "error: missing.toml"),
        (["{data}/short-a.toml", "-o", "{file}"], "error: (command line): --output: "),
        (["{data}/short-a.toml", "-o", "{file}/sub"], "error: cannot make folder "),
        # The folder's parents are made first: they must go again.
        (["{data}/short-a.toml", "-o", "{tmp}/site/" + "n" * 300], "error: cannot make folder "),
        *(
            (["{data}/short-a.toml", "--base-url", url], "error: (command line): --base-url: ")
            for url in ["example.org/w", "http://[::1/", "file:///tmp/x", "http:///w",
                        "http://example.org/w?x=1", "http://example.org/w#frag",
                        "http://example.org:abc/", "http://example.org:99999/"]
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    given = [a.format(data=DATA, file=tmp_path / "file", tmp=tmp_path) for a in args]
    if "-o" not in given:
        given += ["-o", str(tmp_path / "site")]
    result = CliRunner().invoke(cli, ["publish", *given, "--engine", "espeak"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message), result.output
    assert "\n" not in result.output.rstrip("\n"), result.output
    assert not (tmp_path / "site").exists()
