"""Finding the browser that prints the PDF, per system, in a made-up file tree: Edge's and
Chrome's usual places on Windows (per-user installs too), app bundles on macOS, commands on the
PATH on Linux; what is said when there is none. No browser is started here."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.report.browser import BrowserMissing, candidates, find_browser, missing_advice


def _program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"MZ")
    return path


def _windows(tmp_path: Path) -> dict[str, str]:
    folders = {"PROGRAMFILES": "Program Files", "PROGRAMFILES(X86)": "Program Files (x86)",
               "LOCALAPPDATA": "Users/jan/AppData/Local"}
    return {variable: str(tmp_path / folder) for variable, folder in folders.items()}


def test_windows_prefers_edge_where_windows_11_puts_it(tmp_path: Path) -> None:
    env = _windows(tmp_path)
    chrome = _program(Path(env["PROGRAMFILES"], "Google", "Chrome", "Application", "chrome.exe"))
    assert find_browser("win32", env, registry=list) == chrome
    edge = _program(Path(env["PROGRAMFILES(X86)"], "Microsoft", "Edge", "Application",
                         "msedge.exe"))
    assert find_browser("win32", env, registry=list) == edge


def test_windows_finds_a_per_user_chrome(tmp_path: Path) -> None:
    """Installed without admin rights, Chrome lives in the user's local application data."""
    env = _windows(tmp_path)
    chrome = _program(Path(env["LOCALAPPDATA"], "Google", "Chrome", "Application",
                           "chrome.exe"))
    assert find_browser("win32", env, registry=list) == chrome


def test_windows_without_a_browser_says_what_to_install_without_apt(tmp_path: Path) -> None:
    with pytest.raises(BrowserMissing) as caught:
        find_browser("win32", _windows(tmp_path), registry=list)
    message = str(caught.value)
    assert "Edge" in message and "https://www.google.com/chrome/" in message
    assert "no admin rights" in message
    assert "apt" not in message and "sudo" not in message


def test_macos_looks_in_both_applications_folders(tmp_path: Path) -> None:
    home = tmp_path / "Users" / "jan"
    looked = candidates("darwin", {}, home)
    assert Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome") in looked
    own = home / "Applications" / "Microsoft Edge.app" / "Contents" / "MacOS" / "Microsoft Edge"
    assert own in looked
    _program(own)
    assert find_browser("darwin", {}, home).is_file()
    assert "apt" not in missing_advice("darwin")


def test_linux_looks_on_the_path(tmp_path: Path) -> None:
    chrome = _program(tmp_path / "bin" / "google-chrome")
    path = {"google-chrome": str(chrome)}
    assert find_browser("linux", {}, None, path.get) == chrome
    with pytest.raises(BrowserMissing, match="sudo apt install chromium"):
        find_browser("linux", {}, None, {}.get)


def test_a_named_browser_comes_first_and_must_exist(tmp_path: Path) -> None:
    env = _windows(tmp_path)
    _program(Path(env["PROGRAMFILES"], "Microsoft", "Edge", "Application", "msedge.exe"))
    portable = _program(tmp_path / "portable" / "chrome.exe")
    assert find_browser("win32", {**env, "FACILITATOR_BROWSER": str(portable)},
                        registry=list) == portable
    with pytest.raises(BrowserMissing, match=r"FACILITATOR_BROWSER names .*not a program"):
        find_browser("win32", {**env, "FACILITATOR_BROWSER": str(tmp_path / "gone.exe")},
                     registry=list)
