"""PDF through the browser the laptop already has: Microsoft Edge (on every Windows 11), Google
Chrome or Chromium, run headless and driven over the DevTools protocol.

Why the protocol rather than ``--print-to-pdf``: the document goes to the browser in a message
and the PDF comes back in messages, so no file has to be where the browser may read or write it
(a snap-packaged Chromium sees neither /tmp nor hidden folders; a virus scanner may hold a fresh
file), and a failure is an answer with a reason rather than a missing file. The page's own CSS
decides the paper (``preferCSSPageSize``): A4, the margins, and the page header and footer in
its ``@page`` margin boxes, which Chromium draws since version 131 (an older one prints the
pages without them).

The browser runs with a profile of its own in a temporary folder (never the user's), listens
for the protocol on 127.0.0.1 at a port it picks, and is closed (or, failing that, killed) when
the PDF is read. aiohttp is imported here only, when a PDF is printed.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

BROWSER_VARIABLE = "FACILITATOR_BROWSER"
"""Names the browser to print with (the path of its program), instead of looking for one."""

START_S = 30.0
"""How long the browser may take to start and say where it listens (a first start on a laptop
with a virus scanner is slow)."""
STEP_S = 60.0
"""How long one protocol call may take, loading a large report included."""
PRINT_S = 600.0
"""How long printing may take: a report of 20,000 contributions is thousands of pages."""
STOP_S = 10.0
"""How long a closed browser may take to end before it is killed."""
READ_CHUNK = 1 << 20

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")

WINDOWS_PROGRAMS: tuple[tuple[str, ...], ...] = (
    ("Microsoft", "Edge", "Application", "msedge.exe"),
    ("Google", "Chrome", "Application", "chrome.exe"),
    ("Chromium", "Application", "chrome.exe"),
)
"""Where Edge, Chrome and Chromium install themselves, under Program Files, Program Files (x86)
(Edge, even on 64-bit Windows) and, for a per-user install without admin rights, the user's
local application data."""
WINDOWS_APP_PATHS = ("msedge.exe", "chrome.exe")
"""Their registrations under ``App Paths`` (HKCU, then HKLM): an install elsewhere."""
MAC_APPS = (
    ("Google Chrome.app", "Google Chrome"),
    ("Microsoft Edge.app", "Microsoft Edge"),
    ("Chromium.app", "Chromium"),
)
"""App bundles in /Applications or ~/Applications, and the program inside each."""
POSIX_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                  "microsoft-edge", "microsoft-edge-stable")


class BrowserMissing(Exception):
    """No browser to print with; the message says what to install, for this system."""


class BrowserFailed(Exception):
    """The browser did not print; the message says what happened (with its last words)."""


# -- finding the browser ------------------------------------------------------------------------


def candidates(platform: str = sys.platform, env: Mapping[str, str] = os.environ,
               home: Path | None = None,
               which: Callable[[str], str | None] = shutil.which,
               registry: Callable[[], list[Path]] | None = None) -> list[Path]:
    """Where a Chromium-based browser may be, most likely first, for ``platform`` (the value of
    ``sys.platform``; ``registry``: Windows' registrations, :func:`registered_programs` by
    default). Nothing here checks that the files exist."""
    if platform == "win32":
        bases = [base for variable in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
                 if (base := env.get(variable))]
        registered = (registry or registered_programs)()
        return [Path(base, *parts) for parts in WINDOWS_PROGRAMS for base in bases] + registered
    if platform == "darwin":
        homes = [Path("/Applications"), (home or Path.home()) / "Applications"]
        return [folder / app / "Contents" / "MacOS" / program
                for app, program in MAC_APPS for folder in homes]
    return [Path(found) for name in POSIX_COMMANDS if (found := which(name))]


def registered_programs() -> list[Path]:
    """Edge and Chrome as Windows registers them (``App Paths``), where the registry exists."""
    if sys.platform != "win32":
        return []
    import winreg

    found = []
    for root in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        for program in WINDOWS_APP_PATHS:
            key = rf"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\{program}"
            try:
                with winreg.OpenKey(root, key) as opened:
                    value, _kind = winreg.QueryValueEx(opened, "")
            except OSError:
                continue
            if isinstance(value, str) and value:
                found.append(Path(value.strip('"')))
    return found


def find_browser(platform: str = sys.platform, env: Mapping[str, str] = os.environ,
                 home: Path | None = None,
                 which: Callable[[str], str | None] = shutil.which,
                 registry: Callable[[], list[Path]] | None = None) -> Path:
    """The browser to print with: the one ``FACILITATOR_BROWSER`` names, else the first that
    exists of :func:`candidates`. Raises :class:`BrowserMissing` saying what to install."""
    named = env.get(BROWSER_VARIABLE, "").strip()
    if named:
        path = Path(named)
        if path.is_file():
            return path
        raise BrowserMissing(f"{BROWSER_VARIABLE} names {named}, which is not a program: "
                             "give the full path of Edge, Chrome or Chromium, or unset it")
    for path in candidates(platform, env, home, which, registry):
        if path.is_file():
            return path
    raise BrowserMissing(missing_advice(platform))


def missing_advice(platform: str) -> str:
    """What to install when no browser was found, for the system at hand."""
    if platform == "win32":
        return ("no Microsoft Edge or Google Chrome was found (Edge comes with Windows 11; it "
                "may have been removed). Install Google Chrome for your own user from "
                "https://www.google.com/chrome/ (no admin rights needed), or set "
                f"{BROWSER_VARIABLE} to the full path of a Chromium-based browser's .exe")
    if platform == "darwin":
        return ("no Google Chrome, Microsoft Edge or Chromium was found in /Applications or "
                "~/Applications. Install one of them (drag it into Applications), or set "
                f"{BROWSER_VARIABLE} to the program inside its .app")
    return ("no Chromium, Google Chrome or Microsoft Edge was found on the PATH. Install one "
            "(on Debian or Ubuntu: `sudo apt install chromium`), or set "
            f"{BROWSER_VARIABLE} to its program")


# -- printing -----------------------------------------------------------------------------------


def print_pdf(html: str, browser: Path) -> bytes:
    """``html`` printed to PDF bytes by ``browser``. Raises :class:`BrowserFailed`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_print(html, browser))
    # Called from a coroutine's thread (a test, a script): the browser gets a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _print(html, browser)).result()


def browser_command(browser: Path, profile: Path) -> list[str]:
    """The command line: headless, a profile of its own, none of the browser's own network
    traffic (updates, sync, field trials), the protocol on a port it picks."""
    command = [
        str(browser), "--headless", "--remote-debugging-port=0", f"--user-data-dir={profile}",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-features=Translate,MediaRouter",
        "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to start as root with its sandbox (a container, CI). It only ever
        # loads our own report here, with scripts the report does not have.
        command.append("--no-sandbox")
    return [*command, "about:blank"]


async def _print(html: str, browser: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="facilitator-print-",
                                     ignore_cleanup_errors=True) as profile:
        try:
            process = await asyncio.create_subprocess_exec(
                *browser_command(browser, Path(profile)), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise BrowserFailed(f"{browser} could not be started ({exc.strerror or exc})"
                                ) from None
        said: deque[str] = deque(maxlen=6)
        assert process.stderr is not None
        try:
            url = await _listening(process, process.stderr, said, browser)
            drain = asyncio.create_task(_drain(process.stderr, said))
            try:
                return await _print_over(url, html)
            except (TimeoutError, OSError, ProtocolError) as exc:
                raise BrowserFailed(f"{browser} did not print the PDF ({_reason(exc)})"
                                    f"{_last_words(said)}") from None
            finally:
                drain.cancel()
        finally:
            await _stop(process)


async def _listening(process: asyncio.subprocess.Process, stderr: asyncio.StreamReader,
                     said: deque[str], browser: Path) -> str:
    """The protocol's address, as the browser says it on its standard error."""
    async def read() -> str:
        while True:
            line = (await stderr.readline()).decode("utf-8", "replace")
            if not line:
                code = await process.wait()
                raise BrowserFailed(f"{browser} stopped before it printed (exit code {code})"
                                    f"{_last_words(said)}")
            found = _LISTENING.search(line)
            if found:
                return found.group(1)
            if line.strip():
                said.append(line.strip())

    try:
        return await asyncio.wait_for(read(), START_S)
    except TimeoutError:
        raise BrowserFailed(f"{browser} did not start within {START_S:.0f} s"
                            f"{_last_words(said)}") from None


async def _drain(stderr: asyncio.StreamReader, said: deque[str]) -> None:
    """Keep reading what the browser says, so that a full pipe never stops it."""
    while line := await stderr.readline():
        if line.strip():
            said.append(line.decode("utf-8", "replace").strip())


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_S)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


class ProtocolError(Exception):
    """The browser answered a call with an error."""


class _Session:
    """The DevTools protocol over one WebSocket: calls answered by id, a page's calls carry the
    id of the page's session (the flat mode)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import aiohttp

        try:
            async for message in self.ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = message.json()
                future = self.waiting.pop(data.get("id", -1), None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(ProtocolError(str(data["error"].get("message"))))
                    else:
                        future.set_result(data.get("result", {}))
        finally:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("the browser closed the connection"))

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   session: str | None = None, timeout: float = STEP_S) -> dict[str, Any]:
        number = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_json(message)
        return await asyncio.wait_for(future, timeout)

    def close(self) -> None:
        self.reader.cancel()


async def _print_over(url: str, html: str) -> bytes:
    import aiohttp

    async with aiohttp.ClientSession() as http, \
            http.ws_connect(url, max_msg_size=64 << 20) as ws:
        cdp = _Session(ws)
        try:
            target = await cdp.call("Target.createTarget", {"url": "about:blank"})
            attached = await cdp.call("Target.attachToTarget",
                                      {"targetId": target["targetId"], "flatten": True})
            page = attached["sessionId"]
            tree = await cdp.call("Page.getFrameTree", session=page)
            await cdp.call("Page.setDocumentContent",
                           {"frameId": tree["frameTree"]["frame"]["id"], "html": html},
                           session=page)
            # Laid out with its fonts: the system's, found by name or by the script's fallback.
            await cdp.call("Runtime.evaluate",
                           {"expression": "document.fonts.ready.then(() => true)",
                            "awaitPromise": True, "returnByValue": True}, session=page)
            printed = await cdp.call("Page.printToPDF", {
                "printBackground": True, "preferCSSPageSize": True,
                "displayHeaderFooter": False, "generateTaggedPDF": True,
                "generateDocumentOutline": True, "transferMode": "ReturnAsStream",
            }, session=page, timeout=PRINT_S)
            pdf = await _read_stream(cdp, printed["stream"], page)
            with contextlib.suppress(Exception):
                await cdp.call("Browser.close", timeout=STOP_S)
            return pdf
        finally:
            cdp.close()


async def _read_stream(cdp: _Session, handle: str, page: str) -> bytes:
    chunks: list[bytes] = []
    while True:
        part = await cdp.call("IO.read", {"handle": handle, "size": READ_CHUNK}, session=page)
        data = part.get("data", "")
        chunks.append(base64.b64decode(data) if part.get("base64Encoded") else data.encode())
        if part.get("eof"):
            break
    with contextlib.suppress(Exception):
        await cdp.call("IO.close", {"handle": handle}, session=page)
    return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "it took too long"
    return str(exc) or type(exc).__name__


def _last_words(said: Sequence[str]) -> str:
    """The browser's last lines on its standard error, to put after a failure."""
    return f"; it said: {' | '.join(said)[-600:]}" if said else ""
