"""What the session's host and the facilitator's screen say to each other: one dataclass per
message, and :func:`encode`/:func:`read` for all of them.

On the wire a frame is a 4-byte length and a pickled pair: the message's number in
:data:`FRAMES` and its fields in order. Both ends are our own code on one machine, started by
the same user, over a connection the screen takes only from the host it started (which proves
itself with a one-time secret: :mod:`facilitator.host.handle`), so pickle's trust is theirs.

The order of a session: the host sends :class:`Opened` (or :class:`NotOpened`); the screen
reads the session file and sends :class:`Go`; the host then says :class:`Listening`,
:class:`NotListening` or :class:`NoServer`, and from then on :class:`Changed` after each
commit, :class:`Answer` to each :class:`Call`, :class:`CodeChanged` when the room's join code
changes; the screen ends it with :class:`Stop`, or by going.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Record
from facilitator.session.batch import Written
from facilitator.session.files import StoreError, WriteFailed
from facilitator.session.store import Busy

_LENGTH = struct.Struct(">I")

# -- host → screen ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Opened:
    """The host holds the session and has written what opening filled in: read the file now."""


@dataclass(frozen=True, slots=True)
class NotOpened:
    """The host could not open the session (locked, damaged...), and exits."""

    why: str


@dataclass(frozen=True, slots=True)
class Listening:
    """The participant server listens."""

    port: int
    """The port really bound (the one asked for may have been taken)."""
    open_files: tuple[int | None, int | None, int | None]
    """The host's open-files limit: now, before it was raised, the hard limit
    (:class:`facilitator.web.capacity.OpenFiles`)."""


@dataclass(frozen=True, slots=True)
class NotListening:
    """The participant server could not listen (a port taken, an address not this laptop's);
    the host still holds the session and makes the facilitator's changes."""

    errno: int | None
    strerror: str


@dataclass(frozen=True, slots=True)
class NoServer:
    """The web stack cannot be imported in the host; it holds the session without phones."""

    why: str


@dataclass(frozen=True, slots=True)
class Changed:
    """What one commit wrote, sent once it is on disk."""

    documents: tuple[Written, ...]
    """Each record as the session file holds it: table, id, JSON (encoded once, by the
    store's commit) or None when it is gone."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of a :class:`Call`, sent after the :class:`Changed` of its commit, so that the
    caller reads its own change as soon as it hears back. Records in it are
    :class:`RecordRef`; a refusal is a :class:`Failure`."""

    number: int
    result: Any


@dataclass(frozen=True, slots=True)
class CodeChanged:
    """The room's join code changed: the screen's QR code follows."""


# -- screen → host ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Go:
    """The screen has read the session: serve the phones."""


@dataclass(frozen=True, slots=True)
class Call:
    """A change the facilitator makes: a writing method of the session and its arguments."""

    number: int
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop serving, write what is queued, close the session and exit."""


Frame = (Opened | NotOpened | Listening | NotListening | NoServer | Changed | Answer
         | CodeChanged | Go | Call | Stop)

FRAMES: tuple[type[Frame], ...] = (Opened, NotOpened, Listening, NotListening, NoServer,
                                   Changed, Answer, CodeChanged, Go, Call, Stop)
_NUMBER = {kind: number for number, kind in enumerate(FRAMES)}
_FIELDS = {kind: tuple(field.name for field in fields(kind)) for kind in FRAMES}


def encode(message: Frame) -> bytes:
    kind = type(message)
    body = pickle.dumps((_NUMBER[kind], tuple(getattr(message, name) for name in _FIELDS[kind])),
                        protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


def decode(body: bytes) -> Frame:
    number, values = pickle.loads(body)
    message: Frame = FRAMES[number](*values)
    return message


async def read(reader: asyncio.StreamReader) -> Frame | None:
    """The next message, or None when the other end has gone."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        (size,) = _LENGTH.unpack(head)
        return decode(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


# -- answers: records by name, refusals by kind ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record in an answer, named rather than sent: the screen's copy has it already (the
    commit's :class:`Changed` comes before the answer)."""

    table: str
    id: int


def outgoing(result: Any) -> Any:
    """An answer as the host sends it: records as :class:`RecordRef`."""
    if isinstance(result, Record):
        return RecordRef(result.TABLE, result.id)
    if isinstance(result, list):
        return [outgoing(item) for item in result]
    return result


@dataclass(frozen=True, slots=True)
class Failure:
    """A refusal or an error in place of an answer: its kind, reason and sentence (the
    exceptions themselves do not all survive pickling: their arguments differ from ``args``)."""

    kind: str
    reason: str
    text: str


_PLAIN: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, LookupError,
                                      RuntimeError)
"""Errors a change may raise that carry nothing but their sentence (a caller's mistake)."""


def failure(error: BaseException) -> Failure:
    if isinstance(error, Refused):
        return Failure("refused", error.reason.value, error.detail)
    if isinstance(error, Busy):
        return Failure("busy", "", str(error))
    if isinstance(error, WriteFailed):
        return Failure("write_failed", "", str(error))
    if isinstance(error, StoreError):
        return Failure("store", "", str(error))
    for kind in _PLAIN:
        if type(error) is kind:  # its one argument, so that it reads the same when raised again
            text = str(error.args[0]) if len(error.args) == 1 else str(error)
            return Failure("plain", kind.__name__, text)
    return Failure("other", type(error).__name__, str(error))


def raised(path: Path, sent: Failure) -> Exception:
    """The exception the facilitator's code would have caught from a store of its own."""
    kind, reason, text = sent.kind, sent.reason, sent.text
    if kind == "refused":
        return Refused(Reason(reason), text)
    if kind == "busy":
        return Busy(path, text)
    if kind == "write_failed":
        return WriteFailed(path, text)
    if kind == "store":
        return StoreError(path, text)
    if kind == "plain":
        plain = {cls.__name__: cls for cls in _PLAIN}[reason]
        return plain(text)
    return RuntimeError(f"{reason}: {text}")
