"""Serve a published folder over HTTP, read-only, behind an unguessable token.

aiohttp's `FileResponse` does what podcast apps and iOS need from a file
server: byte ranges (206), ETag and Last-Modified revalidation, HEAD (and,
in `_FileResponse`, If-Range with an entity tag, which aiohttp skips). Every
URL is ``/<token>/<file>``; anything else, a wrong token, a hidden file, a
folder, or a path that leaves the folder (``..``, a symlink out) is a 404,
and only GET and HEAD exist, so nothing can be written.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter

from ..errors import CuecoachError
from ..outputs import replace_file
from ..userdirs import user_folder
from .folder import PublishRequest, publish

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".mp3": "audio/mpeg",
    ".json": "application/json; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
}
# Files keep their names when their content changes, so clients must revalidate
# (cheap: the ETag answers 304); "private" keeps shared caches out of a private feed.
HEADERS = {
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token must not leak in Referer headers
}


def token_path() -> Path:
    """Where the serving token lives: the user's data folder."""
    return user_folder("data") / "serve-token"


def serve_token() -> str:
    """The token in every served URL: made once, then kept so subscriptions survive restarts."""
    path = token_path()
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        token = ""
    if len(token) >= 22 and token.replace("-", "").replace("_", "").isalnum():
        return token
    token = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, f"{token}\n".encode("ascii"), mode=0o600)  # a secret: owner only
    except OSError as err:
        raise CuecoachError(f"cannot write {path}: {err.strerror or err}") from err
    return token


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (0: any free port), so the URL is known
    before the folder is published and no other process can take the port meanwhile."""
    sock: socket.socket | None = None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        if sock is not None:
            sock.close()
        raise CuecoachError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    sock.setblocking(False)
    return sock


def public_host(host: str) -> str:
    """The address a phone should use: the LAN address when listening on all of them."""
    if host not in ("", "0.0.0.0", "::"):
        return f"[{host}]" if ":" in host else host
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent
        address: str = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    return address


class _FileResponse(web.FileResponse):
    """A FileResponse that honours an If-Range entity tag: one that is not the file's
    current ETag gets the whole file (200), not a part of what has changed since
    (RFC 9110, 13.1.5); aiohttp alone reads If-Range only as a date."""

    def __init__(self, path: Path, headers: dict[str, str]) -> None:
        super().__init__(path, headers=headers)
        self.path = path

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        given = request.headers.get(hdrs.IF_RANGE, "")
        if given.startswith(('"', "W/")) and given != _etag(self.path):
            headers = request.headers.copy()
            headers.popall(hdrs.RANGE, None)
            request = request.clone(headers=headers)
        return await super().prepare(request)


def _etag(path: Path) -> str:
    """The ETag header FileResponse sends for `path` as it is now ("" if it is gone);
    always a strong one, so a weak tag in If-Range never matches, as the RFC asks."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def make_app(folder: Path, token: str) -> web.Application:
    """The read-only application serving `folder` under ``/<token>/``."""
    root = folder.resolve()

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.match_info["token"]
        name = request.match_info["path"] or "index.html"
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise web.HTTPNotFound()
        parts = name.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            raise web.HTTPNotFound()
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise web.HTTPNotFound()
        headers = dict(HEADERS)
        kind = CONTENT_TYPES.get(path.suffix)
        if kind is not None:
            headers["Content-Type"] = kind
        return _FileResponse(path, headers)

    async def folder_url(request: web.Request) -> web.StreamResponse:
        # The page's URL typed without its last slash: its relative links need it.
        if not hmac.compare_digest(request.match_info["token"].encode(), token.encode()):
            raise web.HTTPNotFound()
        raise web.HTTPMovedPermanently(f"/{token}/")

    app = web.Application()
    app.router.add_get("/{token}/{path:.*}", handle)
    app.router.add_get("/{token}", folder_url)
    return app


def serve(
    paths: Sequence[Path],
    request: PublishRequest,
    host: str,
    port: int,
    say: Callable[[str], None],
    *,
    show_qr: Callable[[str], None] | None = None,
    **progress: Any,
) -> None:
    """Publish `paths` into a cache folder and serve it on `host`:`port` until
    Ctrl-C (KeyboardInterrupt, after every connection is closed).

    `request.output` and `request.base_url` are filled in here; `progress`
    goes to `publish` as is. `say` prints the URLs and a last "Serving" line
    once requests are answered; `show_qr` draws each URL's QR code (by
    default `say` prints its plain `qr_text`).
    """
    sock = bind(host, port)
    try:
        token = serve_token()
        base = f"http://{public_host(host)}:{sock.getsockname()[1]}/{token}/"
        folder = cache_folder(paths)
        publish(paths, replace(request, output=folder, base_url=base), **progress)

        def ready() -> None:
            for label, url in (("Feed for podcast apps", base + "feed.xml"),
                               ("Player for a browser", base)):  # fmt: skip
                say(f"{label}: {url}")
                if show_qr is None:
                    say(qr_text(url))
                else:
                    show_qr(url)
            say(f"Serving {folder} at {base} — press Ctrl-C to stop.")

        asyncio.run(_run(make_app(folder, token), sock, ready))
    finally:
        sock.close()


def cache_folder(paths: Sequence[Path]) -> Path:
    """The folder `serve` publishes these files into, the same on every run."""
    key = hashlib.sha256("\0".join(str(p.resolve()) for p in paths).encode()).hexdigest()
    return user_folder("cache") / "published" / key[:16]


async def _run(app: web.Application, sock: socket.socket, ready: Callable[[], None]) -> None:
    # Ctrl-C must not wait for a phone that is still streaming an hour of audio.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        ready()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


# White text on black: the blocks below draw the light modules in the text's
# colour, which is dark on a light terminal theme, and a code drawn in negative
# is not read by every phone.
QR_COLOURS, QR_RESET = "\x1b[97;40m", "\x1b[0m"


def qr_text(url: str, *, colours: bool = False) -> str:
    """`url` as a QR code drawn with block characters for a terminal: in white
    on black with `colours`, else in the terminal's own text colour, which
    reads only where that is light on a dark background."""
    import segno

    out = io.StringIO()
    segno.make(url, error="l").terminal(out=out, compact=True)
    if not colours:
        return out.getvalue()
    lines = out.getvalue().split("\n")
    return "\n".join(f"{QR_COLOURS}{line}{QR_RESET}" if line else line for line in lines)
