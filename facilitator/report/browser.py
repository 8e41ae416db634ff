"""PDF through the browser the laptop already has: Microsoft Edge (on every Windows 11), Google
Chrome or Chromium, run headless with ``--print-to-pdf``.

The page's own CSS decides the paper: A4, the margins, and the page header and footer in its
``@page`` margin boxes, which Chromium draws since version 131 (an older one prints the pages
without them), so the browser's own header and footer are switched off. Why the command line
rather than the DevTools protocol, which we tried first: the protocol needs remote debugging,
which an organisation may switch off by policy (Chrome and Edge have policies for the developer
tools and remote debugging), while printing from the command line needs only headless mode; and
the protocol's finer control of headers and footers is not needed once the page draws its own.
What it costs: the HTML and the PDF pass through a temporary folder the browser must be able to
read and write (a snap-packaged Chromium on Linux cannot reach /tmp; Linux usually has
WeasyPrint anyway).

The browser runs with a profile of its own in that temporary folder (never the user's: their
tabs, extensions and sign-in are untouched), for at most :data:`PRINT_S`; the folder is removed
afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

BROWSER_VARIABLE = "FACILITATOR_BROWSER"
"""Names the browser to print with (the path of its program), instead of looking for one."""

PRINT_S = 600.0
"""How long the browser may take to start and print: a first start on a laptop with a virus
scanner is slow, and a report of 20,000 contributions is thousands of pages."""

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


def browser_command(browser: Path, profile: Path) -> list[str]:
    """The command line before what to print: headless, a profile of its own, none of the
    browser's own network traffic (updates, sync, field trials)."""
    command = [
        str(browser), "--headless", f"--user-data-dir={profile}", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps",
        "--disable-features=Translate,MediaRouter", "--metrics-recording-only", "--mute-audio",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to start as root with its sandbox (a container, CI). It only ever
        # loads our own report here, which has no script.
        command.append("--no-sandbox")
    return command


def print_pdf(html: str, browser: Path) -> bytes:
    """``html`` printed to PDF bytes by ``browser``. Raises :class:`BrowserFailed` saying what
    happened, with the browser's last words."""
    with tempfile.TemporaryDirectory(prefix="facilitator-print-",
                                     ignore_cleanup_errors=True) as temporary:
        folder = Path(temporary)
        page, pdf, said = folder / "report.html", folder / "report.pdf", folder / "said.txt"
        page.write_text(html, encoding="utf-8")
        command = [*browser_command(browser, folder / "profile"), f"--print-to-pdf={pdf}",
                   "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   "--generate-pdf-document-outline", page.as_uri()]
        # What it says goes to a file: a pipe would wait for every helper process it started.
        with said.open("wb") as errors:
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=errors,
                                      timeout=PRINT_S, check=False,
                                      creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
            except subprocess.TimeoutExpired:
                raise BrowserFailed(f"{browser} did not finish printing within {PRINT_S:.0f} s"
                                    f"{_last_words(said)}") from None
            except OSError as exc:
                raise BrowserFailed(f"{browser} could not be started ({exc.strerror or exc})"
                                    ) from None
        printed = pdf.read_bytes() if pdf.is_file() else b""
        if not printed.startswith(b"%PDF"):
            raise BrowserFailed(f"{browser} did not print the PDF (exit code "
                                f"{done.returncode}){_last_words(said)}")
        return printed


def _last_words(said: Path) -> str:
    """The browser's last lines on its standard error, to put after a failure."""
    try:
        lines = said.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    last = " | ".join(line.strip() for line in lines if line.strip())[-600:]
    return f"; it said: {last}" if last else ""
