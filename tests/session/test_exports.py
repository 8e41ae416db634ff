"""An export can be handed on without handing on the room: it carries none of the room's keys
(nor anything derived from them), nobody joins the running room with what it holds, and every
import, also of an export made before keys were left out, gets keys of its own."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import aiohttp
import orjson

from facilitator.core.joining import card_code, card_tables, room_code, wall_token
from facilitator.core.model import SessionInfo
from facilitator.session.library import ROOM_KEYS, Library, open_export
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def codes_by_table(info: SessionInfo) -> dict[str, str]:
    """Every table's card code as issued now."""
    return {table: card_code(info, table) for table in card_tables(info)}


def _keys(store: SessionStore) -> dict[str, str]:
    return {key: getattr(store.info, key) for key in ROOM_KEYS}


def _derived(store: SessionStore) -> list[str]:
    """What the keys open: the wall's address, the room's codes of the day, every card."""
    info = store.info
    now = time.time()
    return [wall_token(info.secret), *(room_code(info.secret, now + k * 60) for k in range(-5, 6)),
            *codes_by_table(info).values()]


async def test_an_export_carries_none_of_the_rooms_keys(store: SessionStore,
                                                         library: Library) -> None:
    await store.go_to_round(0)
    await store.join("device-1", lang="nl", stakeholder="municipality")
    keys, derived = _keys(store), _derived(store)
    assert all(keys.values()) and derived
    await store.close()
    exported = library.export(store.session_id)
    info = orjson.loads(exported)["tables"]["session"]["1"]
    assert not set(ROOM_KEYS) & set(info)
    for value in [*keys.values(), *derived]:
        assert value.encode() not in exported


async def test_nobody_joins_the_room_with_what_its_export_holds(
        store: SessionStore, library: Library, tmp_path: Path) -> None:
    """The organiser reads the export (as ``event report`` does) while the room runs: the keys
    a reader of the export gets are its own, and the room admits none of their codes."""
    await store.go_to_round(0)
    await store.close()
    export = tmp_path / "zaal-a.json"
    export.write_bytes(library.export(store.session_id))
    room = SessionStore.open(store.path)
    server = ParticipantServer(room, host="127.0.0.1", port=0)
    await server.start()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    read = open_export(export, scratch)
    try:
        assert all(_keys(read)[key] != _keys(room)[key] for key in ROOM_KEYS)

        async def join_page(token: str, code: str) -> int:
            cookie = secrets.token_hex(16)  # a new device each time
            async with aiohttp.ClientSession() as client, client.get(
                    f"{server.base_url}/j/{token}", params={"code": code},
                    headers={"Cookie": f"device={cookie}"}) as response:
                return response.status

        now = time.time()
        token = room.info.join_token
        assert await join_page(token, room_code(room.info.secret, now)) == 200  # the room's own
        assert await join_page(token, room_code(read.info.secret, now)) == 403
        table = next(iter(codes_by_table(read.info)))
        assert await join_page(token, card_code(read.info, table)) == 403
        assert await join_page(read.info.join_token, room_code(read.info.secret, now)) == 404
        async with aiohttp.ClientSession() as client:
            wall = f"{server.base_url}/wall/{wall_token(read.info.secret)}"
            async with client.get(wall) as response:
                assert response.status == 404
            organiser = f"{server.base_url}/o/{read.info.organiser_secret}"
            async with client.get(organiser) as response:
                assert response.status == 403
    finally:
        await read.close()
        await server.stop()
        await room.close()


async def test_every_import_gets_keys_of_its_own(store: SessionStore, library: Library,
                                                 tmp_path: Path) -> None:
    keys = _keys(store)
    await store.close()
    export = tmp_path / "s.json"
    export.write_bytes(library.export(store.session_id))
    old_style = tmp_path / "old.json"  # an export made before keys were left out
    document = orjson.loads(export.read_bytes())
    document["tables"]["session"]["1"].update(keys)
    old_style.write_bytes(orjson.dumps(document))

    seen = [keys]
    for file in (export, export, old_style):
        entry = library.import_file(file)
        copy = SessionStore.open(entry.path, read_only=True)
        minted = _keys(copy)
        await copy.close()
        for earlier in seen:
            assert all(minted[key] != earlier[key] for key in ROOM_KEYS), entry.session_id
        seen.append(minted)
