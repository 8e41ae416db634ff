"""Starting and stopping the participant server inside the app's own event loop.

:class:`ParticipantServer` is what the TUI starts; :func:`serve_forever` is ``facilitator serve``.
Both use aiohttp's ``AppRunner`` (never ``run_app``) so the loop stays the caller's, and listen
with :func:`facilitator.serving.listen` (as the event wall does) through a
:class:`~facilitator.web.connections.ConnectionGuard` around the runner's protocol factory.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import sys
import time
from collections.abc import Callable

from aiohttp import web

from facilitator.collector import collect_young_less_often
from facilitator.platforms import STOP_SIGNALS, on_signals
from facilitator.serving import listen
from facilitator.session.documents import JOIN_BASE_PATTERN
from facilitator.session.files import address_path, write_sidecar
from facilitator.session.store import SessionStore
from facilitator.web.addresses import Addresses
from facilitator.web.app import create_app
from facilitator.web.capacity import RoomCapacity, open_files
from facilitator.web.connections import ConnectionGuard
from facilitator.web.guard import Limits
from facilitator.web.pages import CONFIG, HUB

PORT_TRIES = 10
"""How many ports after the asked one to try when it is taken."""
KEEPALIVE_S = 75.0
"""How long an idle connection is kept for the phone's next request (aiohttp's default before
3.14, which keeps it an hour). Longer than the keep-alive of aiohttp's client (15 s) and of the
room benchmark's phones (60 s), so those always close first; a browser asks again on a new
connection when the server closed first. When the room is full, idle connections give way
sooner (facilitator.web.connections)."""

log = logging.getLogger(__name__)


class ParticipantServer(Addresses):
    """The phone pages and the wall for one open session."""

    def __init__(
        self,
        store: SessionStore,
        *,
        host: str | None = None,
        port: int = 8080,
        public_url: str | None = None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, host=host, port=port, public_url=public_url, clock=clock)
        self._asked_port = port
        self.app = create_app(store, public_url=self.public_url, limits=limits, clock=clock)
        self.capacity: RoomCapacity | None = None
        """What this laptop carries (known once the server listens)."""
        self._runner: web.AppRunner | None = None
        self._listening: asyncio.Server | None = None
        self._guard: ConnectionGuard | None = None

    async def start(self) -> None:
        """Listen; when the port is taken, try the next few.

        The room's capacity is measured now, from this process's open-files limit (raised when
        the command started: facilitator.web.capacity); the connections are counted at the
        door by a :class:`ConnectionGuard` around aiohttp's own protocol factory.
        """
        # handler_cancellation: a phone that hangs up cancels the work still done for it (a
        # change not yet in a commit is then never made; one already in it is kept, and the
        # phone's retry of the same send is recognised by its nonce).
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                               shutdown_timeout=1.0, handler_cancellation=True,
                               keepalive_timeout=KEEPALIVE_S)
        await runner.setup()
        assert runner.server is not None
        loop = asyncio.get_running_loop()
        capacity = self.capacity = RoomCapacity.of(open_files(loop))
        guard = ConnectionGuard(runner.server, capacity)
        config = self.app[CONFIG]
        config.capacity, config.doors = capacity, guard
        last: OSError | None = None
        first = self._asked_port
        ports = [0] if first == 0 else range(first, first + PORT_TRIES)
        for port in ports:
            try:
                listening, bound = await listen(runner, self.host, port, protocol=guard,
                                                backlog=capacity.backlog)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    await runner.cleanup()
                    if exc.errno is None:
                        # Python 3.12 and later (on Windows as elsewhere) say "could not bind on
                        # any address out of [...]" without an errno when every address of the
                        # host was unavailable: say which error it was.
                        raise OSError(errno.EADDRNOTAVAIL,
                                      "the address is not one of this computer's") from exc
                    raise
                last = exc
                continue
            self.port = bound
            self._listening, self._runner, self._guard = listening, runner, guard
            config.join_base = self.base_url
            await self._record_base_url()
            collect_young_less_often()
            return
        await runner.cleanup()
        assert last is not None
        raise last

    async def _record_base_url(self) -> None:
        """Keep where phones reach us in the address file beside the session (not in the
        session: no phone hears of it), so that ``facilitator cards`` (another process) prints
        table cards with this address and port."""
        url = self.base_url
        if not re.fullmatch(JOIN_BASE_PATTERN, url):
            return
        try:
            await asyncio.to_thread(write_sidecar, address_path(self.store.path), {"base": url})
        except OSError as exc:  # the phones matter more than the cards: serve anyway
            log.warning("could not record the participant page's address: %s", exc)

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.close()  # no new connections; the runner closes the open ones
            self._listening = None
        if self._guard is not None:
            self._guard.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` each time the join link changes (the room's code, every few
        minutes): the TUI's QR code follows it without asking. Returns the unsubscribe."""
        return self.app[HUB].watch_code(callback)

    @property
    def live_connections(self) -> int:
        return self.app[HUB].connections


def _say(line: str) -> None:
    print(line, flush=True)


async def serve_forever(
    store: SessionStore,
    *,
    host: str | None = None,
    port: int = 8080,
    public_url: str | None = None,
    announce: Callable[[ParticipantServer], None] = lambda server: _say(server.join_url),
) -> None:
    """``facilitator serve``: start, ``announce`` where phones and the wall reach the server
    (the command line says it, in the facilitator's language), then serve until stopped."""
    server = ParticipantServer(store, host=host, port=port, public_url=public_url)
    await server.start()
    announce(server)
    stop = asyncio.Event()
    undo = on_signals(STOP_SIGNALS, stop.set)  # ctrl+c, kill, and ctrl+break on Windows
    try:
        await stop.wait()
    finally:
        undo()
        await server.stop()
        print("stopped", file=sys.stderr, flush=True)
