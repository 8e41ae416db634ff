"""One writer, many callers: the group commit, knowing nothing of sessions.

Modelled on datasette's ``execute_write_fn``: a caller hands the writer a function and awaits
its result; only the writer runs such functions, one after the other, so they need no locks.
Here the writer is a task on the caller's own loop rather than a thread, and it commits in
groups: it takes everything queued, runs each function on one shared unit of work (a
:class:`Work`, which the owner makes with ``begin``), then makes the whole unit durable with one
``write``. Only then do the callers hear back, and ``done`` may tell others what changed.

- A function whose caller has already gone (its future cancelled: a phone that hung up) is
  not run at all.
- A function that raises fails alone: the unit is taken back to where it was before it
  (:meth:`Work.undo`) and its caller gets the exception; the others go on.
- A ``write`` that raises fails every caller of the group with that exception; the owner has
  taken the unit back already.
- One group runs its functions for at most ``batch_s()`` seconds before it is written, so the
  loop can serve others in between.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, Protocol, TypeVar

T = TypeVar("T")


class Work(Protocol):
    """What one group commit fills in: changes that can be taken back."""

    def mark(self) -> int:
        """Where the unit is now: :meth:`undo` to it takes back what came after."""

    def undo(self, to: int = 0) -> None:
        """Take back everything done after :meth:`mark` returned ``to``."""

    def seal(self, since: int) -> None:
        """What one function did since ``since`` is final: encode it for the write, and raise
        (failing that function alone) if it cannot be written."""


W = TypeVar("W", bound=Work)


@dataclass(slots=True)
class _Pending(Generic[W]):
    change: Callable[[W], Any]
    future: asyncio.Future[Any]


def _closed(*_: object) -> NoReturn:
    raise RuntimeError("the session's writer is closed")


class Writer(Generic[W]):
    """The single writer of one store (see the module docstring)."""

    def __init__(self, *, begin: Callable[[], W], write: Callable[[W], Awaitable[None]],
                 done: Callable[[W], None], batch_s: Callable[[], float]) -> None:
        """``begin``: a new unit of work for a group; ``write``: make it durable (on failure,
        take it back, then raise); ``done``: after the callers heard back; ``batch_s``: how long
        one group may run its functions, asked at each group."""
        self._begin = begin
        self._write = write
        self._done = done
        self._batch_s = batch_s
        self._queue: list[_Pending[W]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self.task: asyncio.Task[None] | None = None
        """The task that runs the groups (None until the first function comes)."""

    @property
    def queued(self) -> int:
        """Functions waiting for the next group."""
        return len(self._queue)

    def submit(self, change: Callable[[W], T]) -> asyncio.Future[T]:
        """Queue ``change`` for the next group; the future holds what it returned (or raised)
        once its group is durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Pending(change, future))
        if self.task is None:
            self.task = loop.create_task(self._run(), name="session-commit")
        self._wake.set()
        return future

    async def close(self) -> None:
        """Write what is queued, then stop, and let go of the store's functions: they refer to
        the store, which refers to its writer, and a session frozen out of the collector's
        sight (facilitator.collector) would otherwise stay in memory, cycle and all, for as
        long as the process runs (the TUI's process closes the store it opened, then follows
        the session's host)."""
        self._closing = True
        try:
            if self.task is not None:
                self._wake.set()
                await self.task
        finally:
            self._begin = self._write = self._done = _closed

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            await self._commit()
            await asyncio.sleep(0)  # let the woken callers run before the next group

    async def _commit(self) -> None:
        work = self._begin()
        results: list[tuple[_Pending[W], Any]] = []
        started = time.perf_counter()
        budget = self._batch_s()
        taken = 0
        for item in self._queue:
            if taken and time.perf_counter() - started > budget:
                break
            taken += 1
            if item.future.cancelled():
                continue  # its caller went away before anything was done: do nothing
            mark = work.mark()
            try:
                result = item.change(work)
                work.seal(mark)
                results.append((item, result))
            except Exception as exc:  # refused: undo its partial effects, keep the rest
                work.undo(mark)
                if not item.future.cancelled():
                    item.future.set_exception(exc)
        del self._queue[:taken]
        try:
            await self._write(work)
        except Exception as error:
            for item, _ in results:
                if not item.future.cancelled():
                    item.future.set_exception(error)
            return
        for item, result in results:
            if not item.future.cancelled():
                item.future.set_result(result)
        self._done(work)
