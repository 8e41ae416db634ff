"""The unkind network the other tests use: what the server sends arrives in pieces, and a blink
resets every connection."""

from __future__ import annotations

import asyncio

from netproxy import UnkindNetwork


async def _echo_server(payload: bytes) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(payload)
        await writer.drain()
        await reader.read()  # hold the connection until the client goes
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


async def test_a_response_arrives_in_segments() -> None:
    payload = bytes(range(256)) * 40  # 10,240 bytes
    server = await _echo_server(payload)
    port = server.sockets[0].getsockname()[1]
    async with server, UnkindNetwork(port, segment=1448, delay=0.005) as net:
        reader, writer = await asyncio.open_connection("127.0.0.1", net.port)
        writer.write(b"hello\n")
        pieces: list[bytes] = []
        while sum(map(len, pieces)) < len(payload):
            pieces.append(await reader.read(65536))
        assert b"".join(pieces) == payload
        assert len(pieces) >= 5, "the response came in one piece: the proxy did not split it"
        writer.close()


async def test_a_blink_resets_every_connection() -> None:
    server = await _echo_server(b"x\n")
    port = server.sockets[0].getsockname()[1]
    async with server, UnkindNetwork(port) as net:
        streams = [await asyncio.open_connection("127.0.0.1", net.port) for _ in range(3)]
        for reader, writer in streams:
            writer.write(b"hi\n")
            assert await reader.readline() == b"x\n"
        assert net.open_connections == 3
        net.blink()
        for reader, _ in streams:
            try:
                rest = await asyncio.wait_for(reader.read(), 2)
            except ConnectionResetError:
                rest = b""
            assert rest == b""
        assert net.open_connections == 0
