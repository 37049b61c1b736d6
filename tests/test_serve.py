"""`cuecoach serve` started for real (the CLI in a subprocess on a free localhost
port), asked over HTTP, stopped with Ctrl-C; and the web player in a real
headless Chromium, driven by Selenium with the distribution's chromedriver."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import zxingcpp

from conftest import ctrl_c_as_a_terminal_gives_it
from cuecoach.publish.feed import NAMESPACES
from cuecoach.publish.server import QR_COLOURS, QR_RESET, qr_text, serve_token, token_path

ROOT = Path(__file__).parent.parent
SESSION = ROOT / "tests" / "data" / "publish" / "short-a.toml"
ARTIFACTS = ROOT / "test-artifacts"
SERVING = re.compile(r"^Serving (?P<folder>.+) at (?P<base>http://\S+/(?P<token>[\w-]+)/) — ")


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[str]
    folder: Path
    base: str
    token: str
    port: int
    home: Path


def start(home: Path) -> Server:
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "cuecoach", "serve", str(SESSION), "--engine", "espeak",
         "--host", "127.0.0.1", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=ctrl_c_as_a_terminal_gives_it,  # noqa: PLW1509
    )  # fmt: skip
    watchdog = threading.Timer(180, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = SERVING.match(line)
            if match:
                port = int(re.findall(r":(\d+)/", match["base"])[0])
                return Server(
                    process, Path(match["folder"]), match["base"], match["token"], port, home
                )
    finally:
        watchdog.cancel()
    raise AssertionError(
        f"serve stopped: {process.wait()} {process.stderr and process.stderr.read()}"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(tmp_path_factory.mktemp("serve-home"))
    yield running
    stop(running, signal.SIGKILL)


def stop(server: Server, how: signal.Signals) -> tuple[int, str]:
    """Send `how`; the exit status and what was left on stderr (pipes closed)."""
    server.process.send_signal(how)
    _, err = server.process.communicate(timeout=30)
    return server.process.returncode, err


def get(
    server: Server, path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """A request sent exactly as written: no client-side path clean-up."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def episode(server: Server, suffix: str) -> Path:
    return next(server.folder.glob(f"s01e01-*{suffix}"))


def test_ranged_get_returns_206_with_the_right_bytes(server: Server) -> None:
    mp3 = episode(server, ".mp3")
    data = mp3.read_bytes()
    path = f"/{server.token}/{mp3.name}"
    status, headers, body = get(server, path, Range="bytes=1000-1999")
    assert (status, body) == (206, data[1000:2000])
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert headers["Content-Type"] == "audio/mpeg"
    status, _, body = get(server, path, Range="bytes=-100")
    assert (status, body) == (206, data[-100:])
    status, headers, body = get(server, path)
    assert (status, body, headers["Accept-Ranges"]) == (200, data, "bytes")


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("{etag}", 206),
        ('"stale-etag"', 200),
        ("W/{etag}", 200),  # If-Range compares strongly: a weak tag never matches
        ("Sat, 01 Jan 2000 00:00:00 GMT", 200),
        ("{last_modified}", 206),
    ],
)
def test_a_range_is_sent_only_while_if_range_matches(
    server: Server, if_range: str, status: int
) -> None:
    mp3 = episode(server, ".mp3")
    data = mp3.read_bytes()
    path = f"/{server.token}/{mp3.name}"
    _, headers, _ = get(server, path, "HEAD")
    given = if_range.format(etag=headers["Etag"], last_modified=headers["Last-Modified"])
    got, _, body = get(server, path, Range="bytes=0-9", **{"If-Range": given})
    assert (got, body) == (status, data[:10] if status == 206 else data)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("", "text/html; charset=utf-8"),
        (".vtt", "text/vtt; charset=utf-8"),
        (".chapters.json", "application/json; charset=utf-8"),
        ("player.js", "text/javascript; charset=utf-8"),
        ("cover.png", "image/png"),
    ],
)
def test_content_types_and_caching_headers(server: Server, name: str, content_type: str) -> None:
    file = episode(server, name).name if name.startswith(".") else name
    status, headers, _ = get(server, f"/{server.token}/{file}")
    assert (status, headers["Content-Type"]) == (200, content_type)
    assert headers["Cache-Control"] == "private, no-cache"
    assert headers["Referrer-Policy"] == "no-referrer"
    status, _, body = get(server, f"/{server.token}/{file}", **{"If-None-Match": headers["Etag"]})
    assert (status, body) == (304, b"")


def test_anything_outside_the_token_folder_is_404(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours", encoding="utf-8")
    link = server.folder / "link.txt"
    link.symlink_to(secret)
    token = server.token
    # One character off: a token that ends in "x" must not get "x" back (1 run in 64 did).
    near = token[:-1] + ("y" if token.endswith("x") else "x")
    try:
        paths = ["/", "/feed.xml", f"/{near}/feed.xml", f"/{token}x/feed.xml",
                 f"/{token}/../{token}/feed.xml", f"/{token}/%2e%2e/%2e%2e/etc/passwd",
                 f"/{token}/..%2f..%2fetc%2fpasswd", f"/{token}/{'../' * 8}etc/passwd",
                 f"/{token}/.cuecoach-publish.json", f"/{token}/link.txt",
                 f"/{token}/{secret}", f"/{token}//etc/passwd", f"/{token}/nothing.mp3",
                 f"/{near}"]  # fmt: skip
        for path in paths:
            status, _, body = get(server, path)
            assert status == 404, path
            assert b"not yours" not in body and b"root:" not in body
    finally:
        link.unlink()


def test_the_folder_url_typed_without_its_slash_leads_to_the_page(server: Server) -> None:
    status, headers, _ = get(server, f"/{server.token}")
    assert (status, headers["Location"]) == (301, f"/{server.token}/")
    assert get(server, f"/{server.token}/")[0] == 200


def drawn(text: str, text_colour: int, background: int) -> npt.NDArray[np.uint8]:
    """A grey image of the half-block QR drawing `text` as a terminal of that theme
    shows it (4 pixels a half cell), honouring the white-on-black colour code."""
    rows = []
    for written in text.splitlines():
        fg, bg, line = text_colour, background, written
        if written.startswith(QR_COLOURS):
            fg, bg, line = 255, 0, written.removeprefix(QR_COLOURS).removesuffix(QR_RESET)
        halves = {"█": (fg, fg), "▀": (fg, bg), "▄": (bg, fg), " ": (bg, bg)}
        top, bottom = zip(*(halves[c] for c in line), strict=True)
        rows += [top, bottom]
    image = np.array(rows, dtype=np.uint8)
    margin = np.pad(image, 4, constant_values=background)  # the window around it
    return np.kron(margin, np.ones((4, 4), dtype=np.uint8))


def test_the_qr_codes_read_on_a_light_terminal_as_on_a_dark_one() -> None:
    url = "http://192.168.1.20:8765/" + "t0ken" * 8 + "/feed.xml"
    light, dark = (0, 255), (255, 0)  # (text colour, background)

    def read(image: npt.NDArray[np.uint8]) -> list[str]:
        # Not inverted: a code drawn in negative does not scan on every phone.
        return [code.text for code in zxingcpp.read_barcodes(image, try_invert=False)]

    assert read(drawn(qr_text(url), *dark)) == [url]
    assert read(drawn(qr_text(url), *light)) == []  # why serve draws it in colour
    for theme in (light, dark):
        assert read(drawn(qr_text(url, colours=True), *theme)) == [url]


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_serve_draws_its_qr_codes_in_colour_on_a_terminal(no_color: str, coloured: bool) -> None:
    code = "from cuecoach.cli import show_qr; show_qr('http://192.168.1.20:8765/t/')"
    terminal, other_end = os.openpty()  # stdout a real terminal, as serve's would be
    env = {**os.environ, "NO_COLOR": no_color}
    try:
        subprocess.run([sys.executable, "-c", code], stdout=other_end, env=env, check=True)
        shown = os.read(terminal, 1 << 16).decode()
    finally:
        os.close(terminal)
        os.close(other_end)
    assert (QR_COLOURS in shown) is coloured
    assert "█" in shown
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "\x1b" not in piped.stdout and "█" in piped.stdout  # no codes in a file or pipe


def test_nothing_is_writable(server: Server) -> None:
    feed = server.folder / "feed.xml"
    before = feed.read_bytes()
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        status, _, _ = get(server, f"/{server.token}/feed.xml", method)
        assert status == 405, method
    assert feed.read_bytes() == before


def test_urls_carry_the_token_kept_in_the_user_data_folder(server: Server) -> None:
    kept = (server.home / "data" / "cuecoach" / "serve-token").read_text(encoding="ascii")
    assert kept.strip() == server.token and len(server.token) >= 32
    with urllib.request.urlopen(server.base + "feed.xml", timeout=30) as response:
        feed = response.read().decode()
    urls = set(re.findall(r"https?://[^\"<\s]+", feed)) - set(NAMESPACES.values())
    assert len(urls) == 7 and all(url.startswith(server.base) for url in urls), urls


def test_the_token_is_made_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    first = serve_token()
    assert serve_token() == first
    assert token_path().parent.parent == tmp_path
    assert token_path().stat().st_mode & 0o077 == 0


def test_ctrl_c_stops_the_server_with_130(tmp_path: Path) -> None:
    running = start(tmp_path)
    status, err = stop(running, signal.SIGINT)
    assert (status, err) == (130, "")
    with pytest.raises(ConnectionRefusedError):
        get(running, f"/{running.token}/feed.xml")


def chromium() -> tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("no Chromium here: `apt-get install chromium chromium-driver` (.ci/run does)")
    return browser, driver


def test_player_opens_at_the_moment_of_a_t_link(server: Server) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = chromium()
    cues: dict[str, Any] = json.loads(episode(server, ".cues.json").read_text(encoding="utf-8"))
    segment = next(s for s in cues["segments"]
                   if (s["kind"], s["exercise"], s["set"], s["side"]) == ("work", "Side Plank", 2, 1))  # fmt: skip
    at = segment["start"] + 1.5
    options = Options()
    options.binary_location = browser
    with tempfile.TemporaryDirectory(prefix="cuecoach-chromium-") as profile:
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", f"--user-data-dir={profile}"):  # fmt: skip
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            # A phone-sized screen, as the page is meant to be seen.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
            )
            page = episode(server, ".html").name
            driver.get(f"{server.base}{page}#t={at}")

            def text(element_id: str) -> str:
                return str(driver.find_element(By.ID, element_id).text)

            WebDriverWait(driver, 30).until(lambda _: text("exercise") == "Side Plank")
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "player.png"))
            left = math.ceil(segment["end"] - at)
            assert text("phase") == "GO"  # upper-cased by the style sheet
            assert text("set") == "Set 2 of 2"
            assert text("side") == "Side 1 of 2"
            assert text("left") == f"{left // 60}:{left % 60:02d}"
            assert text("next") == "Next: Side Plank · set 2 of 2 · side 2"
            chapters = driver.find_elements(By.CSS_SELECTOR, "#chapters li")
            assert [c.get_attribute("aria-current") is not None for c in chapters] == [False, True]
            assert (
                driver.execute_script("return navigator.mediaSession.metadata.title")
                == "Side Plank"
            )
            # A new #t= on the open page moves it there: the lead-in, before any set.
            driver.execute_script("location.hash = '#t=1'")
            WebDriverWait(driver, 30).until(lambda _: text("exercise") == "Push-Ups")
            assert (text("phase"), text("set"), text("side")) == ("GET READY", "", "")
            assert text("next") == "Next: Push-Ups · set 1 of 2"
        finally:
            driver.quit()


def test_a_busy_port_or_a_bad_file_exits_2_with_a_message() -> None:
    from click.testing import CliRunner

    from cuecoach.cli import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args = ["serve", str(SESSION), "--host", "127.0.0.1", "--port", port]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: cannot listen on 127.0.0.1:{port}: "), result.output
    result = CliRunner().invoke(
        cli, ["serve", "missing.toml", "--host", "127.0.0.1", "--port", "0"]
    )
    assert (result.exit_code, result.output.split(":")[:2]) == (2, ["error", " missing.toml"])
