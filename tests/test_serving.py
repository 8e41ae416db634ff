"""facilitator.serving.listen: the one way the room's server and the event wall start
listening, on aiohttp's public API."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web

from facilitator.serving import SECURITY_HEADERS, listen


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def started() -> web.AppRunner:
    app = web.Application()
    app.add_routes([web.get("/", hello)])
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    return runner


async def test_port_zero_gives_the_port_the_system_picked_and_it_answers() -> None:
    runner = await started()
    try:
        server, port = await listen(runner, "127.0.0.1", 0)
        assert port > 0 and port == server.sockets[0].getsockname()[1]
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{port}/") as response:
            assert await response.text() == "hello"
        server.close()
        await server.wait_closed()
    finally:
        await runner.cleanup()
    with socket.create_server(("127.0.0.1", port)):  # closed: the port is free again
        pass


async def test_a_taken_port_is_an_os_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        runner = await started()
        try:
            with pytest.raises(OSError):
                await listen(runner, "127.0.0.1", port)
        finally:
            await runner.cleanup()


async def test_the_event_wall_sends_the_same_security_headers_and_frees_its_port() -> None:
    from facilitator.event.wall import EventWall
    from facilitator.event.watch import EventWatch

    watch = EventWatch([])
    wall = EventWall(watch, title="Dag", lang="en", host="127.0.0.1", port=0)
    await wall.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(wall.url) as response:
            assert response.status == 200
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value
    finally:
        await wall.stop()
    with socket.create_server(("127.0.0.1", wall.port)):
        pass
