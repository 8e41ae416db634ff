"""The participant server and the store in a process of their own (facilitator.host): the
TUI's copy follows what phones and the facilitator change, a refusal comes back as the same
refusal, nothing acknowledged is lost when the host is killed, and a host whose TUI has gone
stops and frees the session."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import textwrap
from pathlib import Path

import aiohttp
import orjson
import psutil
import pytest
from machine import within
from test_web_crash import free_port, phone

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Change, Flag
from facilitator.host import handle as host_module
from facilitator.host.copy import SessionCopy
from facilitator.host.handle import ChildHost, HostLost
from facilitator.session.files import SessionLocked, StoreError
from facilitator.session.journal import journal_path, load_session
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.web.capacity import RAISE_TO, OpenFiles, RoomCapacity


async def new_session(folder: Path) -> Path:
    store = Library(folder).create(Templates().load("kennisatelier"))
    await store.close()
    return store.path


@pytest.fixture
async def session_path(tmp_path: Path) -> Path:
    return await new_session(tmp_path)


async def hosted(path: Path) -> tuple[ChildHost, SessionCopy]:
    server = ChildHost(SessionStore.open(path), bind="127.0.0.1", port=0)
    copy = await server.take_over()
    assert isinstance(copy, SessionCopy)
    await server.start()
    return server, copy


@pytest.mark.timeout(60)
async def test_the_copy_follows_the_phones_and_the_facilitators_changes(
        session_path: Path) -> None:
    server, copy = await hosted(session_path)
    heard: list[tuple[Change, ...]] = []
    copy.subscribe(heard.append)
    try:
        assert server.pid is not None and server.pid != os.getpid()
        assert server.join_url.startswith(f"http://127.0.0.1:{server.port}/j/")
        with pytest.raises(SessionLocked):
            SessionStore.open(session_path)  # the host holds the session now

        info = await copy.go_to_round(0)
        assert info is copy.info and copy.current_round.id == "checkin"
        acked: list[str] = []
        stop = asyncio.Event()
        phones = [asyncio.create_task(phone(server.join_url, f"p{n}", acked, stop))
                  for n in range(3)]
        while len(acked) < 12:
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*phones)
        # an answer comes after every change committed before it: a barrier, not a wait
        await copy.add_note("checkin", "barrier")
        texts = {c.text for c in copy.contributions("checkin")}
        assert set(acked) <= texts
        assert copy.participant_count == server.devices_seen >= 3
        assert any(c.table == "contributions" and c.inserted for batch in heard for c in batch)

        mine = await copy.add_contribution("checkin", "Van de facilitator [/] <b>x</b>")
        assert copy.contribution(mine.id) is mine  # read your own change at once
        flagged = await copy.toggle_flag(mine.id, Flag.BOLD)
        assert Flag.BOLD.value in flagged.flags and copy.contribution(mine.id) is flagged
        with pytest.raises(Refused) as refused:
            await copy.edit_contribution(10**6, "nope")
        assert refused.value.reason is Reason.NOT_FOUND
        with pytest.raises(TypeError):  # a mistake in the caller, as from a store of its own
            await copy.update_session(no_such_field=1)
    finally:
        await server.stop()
        await copy.close()
    assert server.process is not None and server.process.returncode == 0
    again = SessionStore.open(session_path)  # the host let go of the session
    try:
        assert again.contribution(mine.id) == flagged
        assert {c.text for c in again.contributions("checkin", visible_only=False)} == \
            {c.text for c in copy.contributions("checkin", visible_only=False)}
        assert again.participant_count == copy.participant_count
    finally:
        await again.close()


@pytest.mark.timeout(60)
async def test_the_host_raises_a_stock_open_files_limit_and_says_what_it_carries(
        session_path: Path) -> None:
    """The TUI started as a stock desktop starts it (a soft limit of 1,024): the host raises
    its own limit as far as the hard limit allows, and the TUI hears what that carries."""
    resource = pytest.importorskip("resource", reason="open-files limits are POSIX's")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 1024:
        pytest.skip(f"the hard limit here ({hard}) leaves nothing to raise")
    server = ChildHost(SessionStore.open(session_path), bind="127.0.0.1", port=0)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # what the host inherits
    try:
        copy = await server.take_over()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        await server.start()
        raised = RAISE_TO if hard == resource.RLIM_INFINITY else min(hard, RAISE_TO)
        assert f"Max open files            {raised}" in \
            Path(f"/proc/{server.pid}/limits").read_text()
        files = OpenFiles(raised, raised_from=1024,
                          hard=None if hard == resource.RLIM_INFINITY else hard)
        assert server.capacity == RoomCapacity.of(files)
    finally:
        await server.stop()
        await copy.close()


@pytest.mark.timeout(60)
async def test_a_host_that_cannot_listen_says_why_and_keeps_the_session(
        session_path: Path) -> None:
    server = ChildHost(SessionStore.open(session_path), bind="192.0.2.1", port=0)
    copy = await server.take_over()
    try:
        with pytest.raises(OSError) as failed:
            await server.start()
        assert failed.value.strerror  # "Cannot assign requested address"
        note = await copy.add_note("checkin", "The phones are off; the session goes on.")
        assert copy.notes("checkin") == [note]
    finally:
        await server.stop()
        await copy.close()


@pytest.mark.timeout(60)
async def test_a_session_another_process_holds_is_refused_with_its_message(
        session_path: Path) -> None:
    holder = SessionStore.open(session_path)
    unlocked = SessionStore.open(session_path, read_only=True)
    try:
        server = ChildHost(unlocked, bind="127.0.0.1", port=0)
        with pytest.raises(StoreError) as refused:
            await server.take_over()
        assert "open in another facilitator process" in str(refused.value)
        assert server.process is not None and server.process.returncode == 2
    finally:
        await holder.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_killing_the_host_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = await new_session(tmp_path)
    acked: list[str] = []
    rng = random.Random(8)
    for cycle in range(5):
        server, copy = await hosted(path)
        lost_why: list[HostLost] = []
        server.watch_lost(lost_why.append)
        if cycle == 0:
            await copy.go_to_round(0)
        stop = asyncio.Event()
        phones = [asyncio.create_task(phone(server.join_url, f"c{cycle}p{n}", acked, stop))
                  for n in range(12)]
        await asyncio.sleep(rng.uniform(0.5, 1.2))
        assert server.process is not None
        server.process.kill()  # SIGKILL; TerminateProcess on Windows
        for _ in range(100):
            if lost_why:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*phones)
        assert lost_why and "stopped unexpectedly" in lost_why[0].why
        with pytest.raises(StoreError):
            await copy.add_note("checkin", "after the host has gone")
        await server.stop()
        await copy.close()
        stored = {doc["text"] for doc in load_session(path)[0]["contributions"].values()}
        missing = [text for text in acked if text not in stored]
        assert not missing, f"cycle {cycle}: {len(missing)} acknowledged and lost"
    assert len(acked) > 50, "the load was too light to prove anything"


TUI_THAT_DIES = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from facilitator.session.store import SessionStore
    from facilitator.host.handle import ChildHost

    async def main():
        server = ChildHost(SessionStore.open(Path(sys.argv[1])), bind="127.0.0.1", port=0)
        await server.take_over()
        await server.start()
        print(server.pid, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
""")


@pytest.mark.timeout(60)
async def test_a_host_whose_tui_was_killed_stops_and_frees_the_session(
        session_path: Path) -> None:
    tui = await asyncio.create_subprocess_exec(
        sys.executable, "-c", TUI_THAT_DIES, str(session_path),
        stdout=asyncio.subprocess.PIPE)
    assert tui.stdout is not None
    host_pid = int(await asyncio.wait_for(tui.stdout.readline(), within(30)))
    host = psutil.Process(host_pid)
    tui.kill()
    await tui.wait()
    await asyncio.to_thread(host.wait, within(20))  # it saw its TUI go, closed and exited
    store = SessionStore.open(session_path)
    await store.close()


@pytest.mark.skipif(sys.platform == "win32",
                    reason="Windows has no SIGTERM to send: os.kill ends the process there")
@pytest.mark.timeout(60)
async def test_sigterm_stops_the_host_cleanly_and_the_tui_hears_of_it(
        session_path: Path) -> None:
    server, copy = await hosted(session_path)
    lost: list[HostLost] = []
    server.watch_lost(lost.append)
    assert server.process is not None and server.pid is not None
    os.kill(server.pid, signal.SIGTERM)
    assert await asyncio.wait_for(server.process.wait(), 20) == 0  # it closed the session
    for _ in range(100):
        if lost:
            break
        await asyncio.sleep(0.05)
    assert lost and "stopped unexpectedly" in lost[0].why and lost[0].followed
    await server.stop()
    await copy.close()
    store = SessionStore.open(session_path)  # unlocked
    await store.close()


@pytest.mark.timeout(60)
async def test_a_file_from_before_the_secret_gets_one_both_processes_share(
        session_path: Path) -> None:
    port = free_port()
    data = orjson.loads(session_path.read_bytes())
    del data["session"]["1"]["secret"]  # sessions made before device cookies were signed
    session_path.write_bytes(orjson.dumps(data))
    server = ChildHost(SessionStore.open(session_path), bind="127.0.0.1", port=port)
    copy = await server.take_over()
    await server.start()
    try:
        async with aiohttp.ClientSession() as browser, \
                browser.get(server.join_url) as page:  # the code the TUI's QR shows
            assert page.status == 200, await page.text()
        assert load_session(session_path)[0]["session"]["1"]["secret"] == copy.info.secret
    finally:
        await server.stop()
        await copy.close()


KNOCKS_WITH_THE_WRONG_SECRET = textwrap.dedent("""
    import socket, sys, time
    connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    connection.sendall(bytes(32))
    time.sleep(600)
""")


class Impostor(ChildHost):
    """Starts a process that connects to the TUI's port without the secret it was given."""

    def _host_command(self, path: Path, port: int) -> list[str]:
        return [sys.executable, "-c", KNOCKS_WITH_THE_WRONG_SECRET, str(port)]


class Quitter(ChildHost):
    """Starts a process that exits before it connects."""

    def _host_command(self, path: Path, port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; print('no luck', file=sys.stderr); sys.exit(3)"]


@pytest.mark.timeout(60)
async def test_a_connection_without_the_secret_is_refused_and_its_process_ended(
        session_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "CONNECT_WITHIN_S", 3.0)
    server = Impostor(SessionStore.open(session_path), bind="127.0.0.1", port=0)
    with pytest.raises(StoreError, match="did not connect"):
        await server.take_over()
    assert server.process is not None and server.process.returncode is not None
    store = SessionStore.open(session_path)  # nothing holds the session
    await store.close()


@pytest.mark.timeout(60)
async def test_a_host_that_exits_before_it_connects_is_reported_at_once(
        session_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "CONNECT_WITHIN_S", 600.0)  # not waited for
    server = Quitter(SessionStore.open(session_path), bind="127.0.0.1", port=0)
    with pytest.raises(StoreError) as failed:
        await server.take_over()
    assert "exit code 3" in str(failed.value) and "no luck" in str(failed.value)


@pytest.mark.timeout(60)
async def test_the_host_stops_when_told_and_the_port_it_came_by_is_closed(
        session_path: Path) -> None:
    ports: list[int] = []

    class Watched(ChildHost):
        def _host_command(self, path: Path, port: int) -> list[str]:
            ports.append(port)
            return super()._host_command(path, port)

    server = Watched(SessionStore.open(session_path), bind="127.0.0.1", port=0)
    copy = await server.take_over()
    await server.start()
    with pytest.raises(OSError):  # one host, one connection: the TUI listens no more
        await asyncio.open_connection("127.0.0.1", ports[0])
    lost: list[str] = []
    server.watch_lost(lost.append)
    await server.stop()
    assert server.process is not None and server.process.returncode == 0
    assert not lost, "a stop that was asked for is no loss"
    await copy.close()
    assert not journal_path(session_path).exists(), "the host closed the session: one file"
