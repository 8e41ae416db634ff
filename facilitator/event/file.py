"""The event file: what the organiser adds to a day of several rooms, kept beside the rooms'
session files and never in them.

A TOML file, ``event.toml`` in the folder of the first room's file unless named otherwise::

    title = "Consultatiedag Zwolle"
    rooms = ["zaal-a.json", "zaal-b.json"]     # session files, exports or ids; relative paths
                                               # are read from this file's folder
    links = ["http://192.168.1.21:8080/o/..."] # each room's organiser link (event watch)

    [[theme]]                                  # show one room's theme with another's
    room = "cocreatie-20261201-ab12"           # the room's session id
    name = "Taal"                              # one of its themes
    same_as = "Communicatie en taal"           # shown together with the themes of this name

Every key is optional. A problem names the file, the key (``theme[2].same_as``) and what is
wrong; the CLI prints it and exits 2, having changed nothing.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.core.text import MAX_NAME_CHARS, TextProblem, check_text, clean_text
from facilitator.session.files import write_atomic

DEFAULT_NAME = "event.toml"
MAX_TITLE_CHARS = 120
_KEYS = ("title", "rooms", "links", "theme")
_THEME_KEYS = ("room", "name", "same_as")


class EventFileError(ValueError):
    """An event file that cannot be used; the message names the file, the key and why."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class ThemeMapping:
    room: str
    """The session id of the room whose theme is mapped."""
    name: str
    """The theme's name in that room."""
    same_as: str
    """The name of the theme it is shown together with."""
    key: str
    """Where it is in the file (``theme[0]``), for messages."""


@dataclass(frozen=True, slots=True)
class EventFile:
    path: Path | None
    """None: no event file (nothing mapped)."""
    title: str = ""
    rooms: tuple[str, ...] = ()
    """As written; :meth:`room_refs` resolves relative paths against the file's folder."""
    links: tuple[str, ...] = ()
    themes: tuple[ThemeMapping, ...] = ()

    def room_refs(self) -> list[str]:
        """The rooms as the CLI takes them: a relative path that exists beside the event file
        is read from there; anything else (a session id) is passed on as it is."""
        if self.path is None:
            return list(self.rooms)
        refs = []
        for room in self.rooms:
            beside = self.path.parent / room
            refs.append(str(beside) if not Path(room).is_absolute() and beside.exists()
                        else room)
        return refs


def default_path(first_room: Path) -> Path:
    """Where the event file of a day lives unless named: beside the first room's file."""
    return first_room.parent / DEFAULT_NAME


def _text(path: Path, key: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise EventFileError(path, key, f"expected text, got {type(value).__name__}")
    clean = clean_text(value, multiline=False)
    problem = check_text(clean, limit)
    if problem is TextProblem.EMPTY:
        raise EventFileError(path, key, "empty text")
    if problem is TextProblem.TOO_LONG:
        raise EventFileError(path, key, f"longer than {limit} characters")
    return clean


def _texts(path: Path, key: str, value: Any, limit: int) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise EventFileError(path, key, f"expected a list of texts, got {type(value).__name__}")
    return tuple(_text(path, f"{key}[{n}]", item, limit) for n, item in enumerate(value))


def parse_event_file(data: dict[str, Any], path: Path) -> EventFile:
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise EventFileError(path, unknown[0], f"unknown key; an event file has {', '.join(_KEYS)}")
    title = _text(path, "title", data["title"], MAX_TITLE_CHARS) if "title" in data else ""
    rooms = _texts(path, "rooms", data.get("rooms", []), 1000)
    links = _texts(path, "links", data.get("links", []), 1000)
    raw_themes = data.get("theme", [])
    if not isinstance(raw_themes, list):
        raise EventFileError(path, "theme", "expected [[theme]] tables")
    themes = []
    for n, entry in enumerate(raw_themes):
        key = f"theme[{n}]"
        if not isinstance(entry, dict):
            raise EventFileError(path, key, "expected a table with room, name and same_as")
        extra = sorted(set(entry) - set(_THEME_KEYS))
        if extra:
            raise EventFileError(path, f"{key}.{extra[0]}",
                                 "unknown key; a theme has room, name and same_as")
        for name in _THEME_KEYS:
            if name not in entry:
                raise EventFileError(path, f"{key}.{name}", "missing key; it is required")
        themes.append(ThemeMapping(
            room=_text(path, f"{key}.room", entry["room"], 100),
            name=_text(path, f"{key}.name", entry["name"], MAX_NAME_CHARS * 4),
            same_as=_text(path, f"{key}.same_as", entry["same_as"], MAX_NAME_CHARS * 4),
            key=key))
    return EventFile(path, title, rooms, links, tuple(themes))


def load_event_file(path: Path) -> EventFile:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise EventFileError(path, "", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise EventFileError(path, "", f"cannot be read ({exc.strerror})") from None
    return parse_event_file(data, path)


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for what json.dumps writes; TOML also
    forbids a raw DEL, which JSON allows)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def add_theme_mapping(path: Path, room: str, name: str, same_as: str) -> EventFile:
    """Map one room's theme onto another name: a ``[[theme]]`` table appended to the event file
    (made when missing; the rest of it, comments included, is kept), written atomically once the
    whole file still reads."""
    existing = path.read_text(encoding="utf-8") if path.exists() else (
        "# The event file: rooms, their organiser links, and themes shown together.\n"
        "# facilitator never changes the rooms' session files; this file is the event's.\n")
    block = (f"\n[[theme]]\nroom = {_toml_string(room)}\nname = {_toml_string(name)}\n"
             f"same_as = {_toml_string(same_as)}\n")
    text = existing + ("" if existing.endswith("\n") else "\n") + block
    try:
        event = parse_event_file(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as exc:
        raise EventFileError(path, "", f"not valid TOML: {exc}") from None
    write_atomic(path, text.encode("utf-8"))
    return event
