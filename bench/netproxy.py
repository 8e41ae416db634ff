"""A network less kind than loopback, for tests and benchmarks: a TCP proxy on 127.0.0.1 between
clients (phones, the organiser's watch) and a server.

Loopback hands a whole response to the reader in one piece; a venue's Wi-Fi does not. The proxy
forwards what the server sends in segments of ``segment`` bytes (1,448 is a TCP segment's payload
on Ethernet-sized frames), each after ``delay`` seconds, and can drop every connection at once
with a reset (:meth:`UnkindNetwork.blink`, the Wi-Fi going away for a moment) or refuse new ones
for a while (``down``).

    async with UnkindNetwork(server_port, segment=1448, delay=0.002) as net:
        url = f"http://127.0.0.1:{net.port}/..."
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from types import TracebackType

SEGMENT = 1448
"""A TCP segment's payload on a 1,500-byte frame."""


class UnkindNetwork:
    """A proxy from ``127.0.0.1:self.port`` to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int, *, segment: int = SEGMENT, delay: float = 0.0,
                 upstream_segment: int | None = None) -> None:
        self.target_port = target_port
        self.segment = segment
        self.delay = delay
        self.upstream_segment = upstream_segment
        """Split what clients send as well (None: forward it as it comes)."""
        self.down = False
        """While True, new connections are reset at once (the Wi-Fi is gone)."""
        self.port = 0
        self.connections = 0
        """Connections made through the proxy so far."""
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> UnkindNetwork:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=2048)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        self.blink()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def open_connections(self) -> int:
        return len(self._open) // 2

    def blink(self) -> None:
        """Reset every open connection at once, on both sides (RST, not a polite close)."""
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.down:
            _reset(client_w)
            return
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            _reset(client_w)
            return
        self.connections += 1
        self._open.update((client_w, server_w))
        up = asyncio.ensure_future(self._pump(client_r, server_w, self.upstream_segment, 0.0))
        down = asyncio.ensure_future(self._pump(server_r, client_w, self.segment, self.delay))
        for task in (up, down):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for writer in (client_w, server_w):
            self._open.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    segment: int | None, delay: float) -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(65536)
                if not data:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                step = segment or len(data)
                for start in range(0, len(data), step):
                    if delay:
                        await asyncio.sleep(delay)
                    writer.write(data[start:start + step])
                    await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset: SO_LINGER with a zero timeout, then close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.transport.abort()
