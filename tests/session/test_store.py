"""The session store: durable group commit, refusals, rollbacks, locks and damaged files."""

from __future__ import annotations

import asyncio
import errno
import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import facilitator.session.journal as journal_module
import facilitator.session.store as store_module
from facilitator.core.errors import Reason, Refused
from facilitator.core.model import SCHEMA_VERSION, TABLES, Change, Flag, Source
from facilitator.session.files import (
    SessionCorrupt,
    SessionLocked,
    StoreError,
    WriteFailed,
    backup_path,
)
from facilitator.session.journal import SessionFile, journal_path, load_session
from facilitator.session.library import ROOM_KEYS, Library, Templates
from facilitator.session.store import SessionStore

TIMEOUT = 10  # seconds; a store call that takes longer than this is hanging


class WriteCounter:
    """Wraps the journal append (one per commit): counts calls, can fail on demand."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0
        self.fail: OSError | None = None

    def __call__(self, file: SessionFile, line: bytes) -> None:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        self.real(file, line)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> WriteCounter:
    counter = WriteCounter(SessionFile._append)
    monkeypatch.setattr(SessionFile, "_append", lambda file, line: counter(file, line))
    return counter


def on_disk(path: Path) -> dict[str, dict[str, Any]]:
    """The session as a reader finds it on disk: the file with its journal applied."""
    return load_session(path)[0]


def disk_bytes(path: Path) -> tuple[bytes, bytes]:
    """The file and its journal, byte for byte."""
    journal = journal_path(path)
    return path.read_bytes(), journal.read_bytes() if journal.exists() else b""


async def open_round(store: SessionStore, round_id: str, **fields: Any) -> None:
    await store.update_round(round_id, submissions_open=True, **fields)


async def fill_every_table(store: SessionStore) -> None:
    await store.join("dev-a", lang="ar", stakeholder="refugee_led", name="Samira\u202e",
                     consent_named=True, table_group="A")
    await store.join("dev-b", lang="nl", stakeholder="municipality", table_group="B")
    theme = await store.add_theme("knelpunten", "Regels")
    await open_round(store, "knelpunten")
    first = await store.add_contribution("knelpunten", "Subsidieregels zijn te ingewikkeld",
                                         author="dev-a", theme_id=theme.id)
    second = await store.add_contribution("knelpunten", "Geen tijd\nvoor contact",
                                          author="dev-b")
    paper = await store.add_contribution("knelpunten", "Van een papieren kaartje",
                                         source=Source.TUI)
    await store.merge(first.id, [paper.id])
    await store.toggle_flag(second.id, Flag.BOLD)
    await store.edit_contribution(second.id, "Geen tijd voor echt contact", device_id="dev-b")
    await store.update_round("knelpunten", voting_open=True)
    await store.ballot_items("dev-b", "knelpunten")
    await store.cast_ballot("dev-b", "knelpunten", {first.id: 2, second.id: 1})
    await store.add_action("Loket voor initiatieven", owner="Gemeente", due="2026-12-01",
                           contribution_id=first.id, round_id="knelpunten")
    await store.add_note("aan-tafel", "Jongeren ontbraken")
    await store.go_to_round(1)
    await store.set_timer("knelpunten", add_minutes=5, running=False)
    await store.update_session(place="Utrecht", view_state={"selected": 3, "filter": "bold"})


def typed_view(store: SessionStore) -> dict[str, Any]:
    """Everything the rest of the app can read, as plain data."""
    return {
        "info": store.info,
        "rounds": [store.round_state(r.id) for r in store.template.rounds],
        "participants": sorted(store.participants(), key=lambda p: p.id),
        "contributions": sorted(store.contributions(visible_only=False), key=lambda c: c.id),
        "visible": sorted(c.id for c in store.contributions("knelpunten")),
        "ballot": store.ballot("dev-b", "knelpunten"),
        "votes": sorted(store.votes(), key=lambda v: v.id),
        "themes": store.themes(),
        "actions": store.actions(),
        "notes": store.notes(),
        "template": store.template,
    }


# -- write, reopen, same data ------------------------------------------------------------------


async def test_write_reopen_same_data_in_every_table(store: SessionStore) -> None:
    await fill_every_table(store)
    before, snapshot = typed_view(store), store.snapshot()
    await store.close()

    assert on_disk(store.path) == snapshot
    assert {name for name, table in snapshot.items() if table} == set(TABLES)
    again = SessionStore.open(store.path)
    try:
        assert typed_view(again) == before
        assert again.snapshot() == snapshot
        # ids keep counting after a reopen: nothing is overwritten
        added = await again.add_contribution("knelpunten", "Na heropenen", source=Source.TUI)
        assert added.id == max(c.id for c in before["contributions"]) + 1
    finally:
        await again.close()


async def test_file_is_a_plain_tinydb_document(store: SessionStore) -> None:
    await fill_every_table(store)
    from tinydb import TinyDB

    # While the session runs, TinyDB reads it, journal included, through the session's storage
    with TinyDB(store.path, storage=SessionFile, read_only=True) as db:
        texts = {doc["text"] for doc in db.table("contributions").all()}
        assert "Van een papieren kaartje" in texts
        assert db.table("session").all()[0]["place"] == "Utrecht"
    # and once it is closed, the file alone is a plain TinyDB document with everything in it
    await store.close()
    assert not journal_path(store.path).exists()
    with TinyDB(store.path, access_mode="r", encoding="utf-8") as db:  # Windows' default: cp1252
        texts = {doc["text"] for doc in db.table("contributions").all()}
        assert "Van een papieren kaartje" in texts
        assert db.table("session").all()[0]["place"] == "Utrecht"


async def test_contributions_stay_in_arrival_order_after_an_update(store: SessionStore) -> None:
    """The facilitator flags or sorts an item: it must not jump to the end of the list (and
    back again when the session is reopened)."""
    ids = [(await store.add_contribution("checkin", f"t{i}", source=Source.TUI)).id
           for i in range(4)]
    await store.toggle_flag(ids[0], Flag.PRACTICAL)
    await store.update_contributions([ids[1]], theme_id=0)
    assert [c.id for c in store.contributions("checkin")] == ids
    assert [c.id for c in store.contributions(visible_only=False)] == ids


# -- group commit ------------------------------------------------------------------------------


async def test_concurrent_writes_are_grouped(store: SessionStore, writes: WriteCounter) -> None:
    async with asyncio.timeout(TIMEOUT):
        added = await asyncio.gather(*[
            store.add_contribution("checkin", f"nummer {i}", source=Source.TUI)
            for i in range(200)
        ])
    assert len({c.id for c in added}) == 200
    assert 1 <= writes.calls <= 20, f"{writes.calls} file writes for 200 changes"
    texts = {doc["text"] for doc in on_disk(store.path)["contributions"].values()}
    assert texts == {f"nummer {i}" for i in range(200)}


async def test_a_refused_change_in_a_batch_leaves_nothing_and_spares_the_others(
    store: SessionStore, writes: WriteCounter
) -> None:
    a = await store.add_contribution("knelpunten", "A", source=Source.TUI)
    b = await store.add_contribution("knelpunten", "B", source=Source.TUI)
    c = await store.add_contribution("knelpunten", "C", source=Source.TUI)
    before_disk = on_disk(store.path)
    writes.calls = 0

    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(
            store.add_contribution("knelpunten", "goed 1", source=Source.TUI),
            store.merge(a.id, [b.id, 999]),  # b merged first, then 999 is not found: undo b
            store.update_contributions([c.id, 998], hidden=True),  # likewise
            store.add_contribution("knelpunten", "van een telefoon"),  # round not open
            store.cast_ballot("dev", "knelpunten", {a.id: 1}),  # voting closed
            store.add_contribution("knelpunten", "goed 2", source=Source.TUI),
            return_exceptions=True,
        )
    good1, merge_err, hide_err, closed_err, vote_err, good2 = results
    assert isinstance(merge_err, Refused) and merge_err.reason is Reason.NOT_FOUND
    assert isinstance(hide_err, Refused) and hide_err.reason is Reason.NOT_FOUND
    assert isinstance(closed_err, Refused) and closed_err.reason is Reason.ROUND_CLOSED
    assert isinstance(vote_err, Refused) and vote_err.reason is Reason.VOTING_CLOSED
    assert writes.calls == 1, "the good changes of one batch are one write"

    for record in (store.contribution(b.id), store.contribution(c.id)):
        assert record is not None and record.visible
    assert store.merged_into(a.id) == []
    assert store.votes() == []
    assert sorted(x.text for x in store.contributions("knelpunten")) == [
        "A", "B", "C", "goed 1", "goed 2",
    ]
    assert good1.text == "goed 1" and good2.text == "goed 2"  # type: ignore[union-attr]
    disk = on_disk(store.path)
    assert disk["contributions"][str(b.id)] == before_disk["contributions"][str(b.id)]
    assert disk["contributions"][str(c.id)] == before_disk["contributions"][str(c.id)]
    assert len(disk["contributions"]) == 5
    assert disk["votes"] == {}


async def test_racing_ballots_from_one_device_cannot_exceed_the_budget(
    store: SessionStore, writes: WriteCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One batch however busy the machine: the race is inside one commit, where the budget is
    # checked against the ballots before it (a loaded machine would split it at BATCH_S).
    monkeypatch.setattr(store_module, "BATCH_S", 60.0)
    await open_round(store, "knelpunten", voting_open=True)
    ids = [(await store.add_contribution("knelpunten", f"k{i}", source=Source.TUI)).id
           for i in range(8)]
    rule = store.template.round("knelpunten").voting
    rng = random.Random(7)
    ballots = []
    for _ in range(30):
        chosen = rng.sample(ids, 3)
        # as the phone's form sends it: every item shown, each using the whole budget
        ballots.append({**dict.fromkeys(ids, 0), chosen[0]: 2, chosen[1]: 2, chosen[2]: 1})
    await store.ballot_items("phone", "knelpunten")
    writes.calls = 0
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(
            *[store.cast_ballot("phone", "knelpunten", b) for b in ballots],
            return_exceptions=True,
        )
    assert all(isinstance(r, int) for r in results), results  # each saved: its revision
    assert writes.calls == 1, "all ballots raced in one batch"
    final = store.ballot("phone", "knelpunten")
    assert sum(final.values()) <= rule.dots
    last = {cid: weight for cid, weight in ballots[-1].items() if weight}
    assert final == last, "the last ballot replaces the earlier ones"
    await store.close()
    again = SessionStore.open(store.path, read_only=True)
    assert again.ballot("phone", "knelpunten") == last
    assert sum(v.weight for v in again.votes("knelpunten") if v.device_id == "phone") <= rule.dots


async def test_ballot_rules_are_enforced_by_the_store(store: SessionStore) -> None:
    await store.join("dev-a", lang="nl")
    await open_round(store, "oplossingen", voting_open=True)
    mine = await store.add_contribution("oplossingen", "mijn idee", author="dev-a")
    other = await store.add_contribution("oplossingen", "ander idee", source=Source.TUI)
    await store.ballot_items("dev-a", "oplossingen")
    with pytest.raises(Refused) as own:
        await store.cast_ballot("dev-a", "oplossingen", {mine.id: 3})
    assert own.value.reason is Reason.OWN_ITEM
    with pytest.raises(Refused) as scale:
        await store.cast_ballot("dev-a", "oplossingen", {other.id: 6})
    assert scale.value.reason is Reason.OUT_OF_SCALE
    await store.cast_ballot("dev-a", "oplossingen", {other.id: 4})
    assert store.ballot("dev-a", "oplossingen") == {other.id: 4}
    with pytest.raises(Refused) as closed:
        await store.cast_ballot("dev-a", "checkin", {})
    assert closed.value.reason is Reason.VOTING_CLOSED


# -- write failures ----------------------------------------------------------------------------


async def test_write_failure_reaches_every_caller_and_rolls_back(
    store: SessionStore, writes: WriteCounter
) -> None:
    await store.join("dev", lang="nl")
    kept = await store.add_contribution("checkin", "al bewaard", source=Source.TUI)
    bytes_before = disk_bytes(store.path)
    writes.fail = OSError(errno.ENOSPC, "No space left on device")
    events: list[tuple[Change, ...]] = []
    store.subscribe(events.append)

    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(
            *[store.add_contribution("checkin", f"verloren {i}", source=Source.TUI)
              for i in range(5)],
            store.edit_contribution(kept.id, "veranderd"),
            store.join("dev", lang="en", stakeholder="municipality"),
            return_exceptions=True,
        )
    assert all(isinstance(r, WriteFailed) for r in results), results
    assert "No space left on device" in str(results[0])
    assert str(store.path) in str(results[0])
    assert [c.text for c in store.contributions(visible_only=False)] == ["al bewaard"]
    assert store.contribution(kept.id).text == "al bewaard"  # type: ignore[union-attr]
    participant = store.participant("dev")
    assert participant is not None and participant.lang == "nl" and participant.stakeholder == ""
    assert disk_bytes(store.path) == bytes_before
    assert events == [], "nothing is announced that was not stored"

    writes.fail = None
    async with asyncio.timeout(TIMEOUT):
        after = await store.add_contribution("checkin", "daarna", source=Source.TUI)
    assert [c.text for c in store.contributions("checkin")] == ["al bewaard", "daarna"]
    disk_texts = sorted(d["text"] for d in on_disk(store.path)["contributions"].values())
    assert disk_texts == ["al bewaard", "daarna"]
    assert on_disk(store.path)["participants"]["1"]["lang"] == "nl"
    assert events and events[-1] == (Change("contributions", (after.id,), inserted=True),)


# -- nothing is hard-deleted -------------------------------------------------------------------


async def test_hide_merge_withdraw_edit_keep_the_originals(store: SessionStore) -> None:
    await store.join("dev", lang="nl")
    await open_round(store, "knelpunten")
    items = [await store.add_contribution("knelpunten", f"tekst {i}", author="dev")
             for i in range(5)]
    await store.update_contributions([items[0].id], hidden=True)
    await store.merge(items[1].id, [items[2].id])
    await store.withdraw(items[3].id, "dev")
    await store.edit_contribution(items[4].id, "nieuwe tekst", device_id="dev")
    await store.edit_contribution(items[4].id, "nog nieuwer", device_id="dev")

    assert [c.id for c in store.contributions("knelpunten")] == [items[1].id, items[4].id]
    everything = {c.id: c for c in store.contributions(visible_only=False)}
    assert len(everything) == 5
    assert everything[items[0].id].hidden and everything[items[0].id].text == "tekst 0"
    assert everything[items[2].id].merged_into == items[1].id
    assert everything[items[2].id].text == "tekst 2"
    assert everything[items[3].id].hidden and everything[items[3].id].text == "tekst 3"
    edited = everything[items[4].id]
    assert (edited.text, edited.original_text) == ("nog nieuwer", "tekst 4")
    assert edited.edited > 0

    await store.close()
    disk = on_disk(store.path)["contributions"]
    assert len(disk) == 5
    assert {d["text"] for d in disk.values()} >= {"tekst 0", "tekst 2", "tekst 3"}
    assert disk[str(items[4].id)]["original_text"] == "tekst 4"


async def test_participants_may_only_touch_their_own(store: SessionStore) -> None:
    await open_round(store, "checkin")
    mine = await store.add_contribution("checkin", "van mij", author="me")
    with pytest.raises(Refused) as caught:
        await store.withdraw(mine.id, "someone-else")
    assert caught.value.reason is Reason.NOT_YOURS
    with pytest.raises(Refused) as edit:
        await store.edit_contribution(mine.id, "gekaapt", device_id="someone-else")
    assert edit.value.reason is Reason.NOT_YOURS
    assert store.contribution(mine.id).text == "van mij"  # type: ignore[union-attr]


async def test_text_is_cleaned_and_checked(store: SessionStore) -> None:
    await open_round(store, "checkin")
    item = await store.add_contribution("checkin", " \x1b[2Jhallo\u202e wereld\u200b ")
    assert item.text == "[2Jhallo wereld"
    for bad, reason in (("\u200b \n", Reason.EMPTY), ("x" * 501, Reason.TOO_LONG)):
        with pytest.raises(Refused) as caught:
            await store.add_contribution("checkin", bad)
        assert caught.value.reason is reason
    with pytest.raises(Refused) as group:
        await store.join("dev", lang="nl", stakeholder="no-such-group")
    assert group.value.reason is Reason.UNKNOWN_GROUP
    assert len(store.contributions(visible_only=False)) == 1


async def test_moderated_round_holds_web_input_back(store: SessionStore) -> None:
    await open_round(store, "oogst")
    web = await store.add_contribution("oogst", "tip van een telefoon")
    tui = await store.add_contribution("oogst", "van de facilitator", source=Source.TUI)
    assert not web.approved and tui.approved


async def test_an_edit_in_a_moderated_round_waits_for_approval_again(
    store: SessionStore,
) -> None:
    await open_round(store, "oogst")
    tip = await store.add_contribution("oogst", "onschuldig", author="me")
    await store.update_contributions([tip.id], approved=True)
    edited = await store.edit_contribution(tip.id, "iets heel anders", device_id="me")
    assert not edited.approved and edited.original_text == "onschuldig"
    by_facilitator = await store.edit_contribution(tip.id, "gecorrigeerd")
    assert not by_facilitator.approved  # the facilitator's edit does not approve by itself


async def test_authors_cannot_change_items_once_voting_opens_or_after_a_merge(
    store: SessionStore,
) -> None:
    await open_round(store, "knelpunten")
    mine = await store.add_contribution("knelpunten", "van mij", author="me")
    dup = await store.add_contribution("knelpunten", "ook van mij", author="me")
    await store.merge(mine.id, [dup.id])
    for attempt in (store.edit_contribution(dup.id, "anders", device_id="me"),
                    store.withdraw(dup.id, "me")):
        with pytest.raises(Refused) as merged:
            await attempt
        assert merged.value.reason is Reason.ROUND_CLOSED
    await store.update_round("knelpunten", voting_open=True)
    with pytest.raises(Refused) as voting:
        await store.edit_contribution(mine.id, "na de stemmen", device_id="me")
    assert voting.value.reason is Reason.ROUND_CLOSED
    assert store.contribution(mine.id).text == "van mij"  # type: ignore[union-attr]


async def test_merges_never_chain_loop_or_cross_rounds(store: SessionStore) -> None:
    await open_round(store, "knelpunten")
    await open_round(store, "oplossingen")
    a, b, c = [await store.add_contribution("knelpunten", t) for t in ("a", "b", "c")]
    await store.merge(b.id, [a.id])
    back = await store.merge(a.id, [b.id])  # a stands for b, which it was merged into
    assert back.id == b.id
    assert store.contribution(b.id).merged_into == 0  # type: ignore[union-attr]
    await store.merge(a.id, [c.id])
    assert store.contribution(c.id).merged_into == b.id  # type: ignore[union-attr]
    assert [i.id for i in store.contributions("knelpunten")] == [b.id]
    idea = await store.add_contribution("oplossingen", "idee")
    with pytest.raises(Refused):
        await store.merge(b.id, [idea.id])
    assert store.contribution(idea.id).merged_into == 0  # type: ignore[union-attr]


async def test_a_file_system_without_hard_links_still_gets_writes_and_a_backup(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(journal_module, "COMPACT_EVERY_S", 0.0)  # compact after every commit
    monkeypatch.setattr("facilitator.session.files.os.link", no_links)
    await open_round(store, "checkin")
    for text in ("een", "twee", "drie"):
        await store.add_contribution("checkin", text)
        await asyncio.sleep(0.05)  # let the compaction finish in its thread
    assert len(on_disk(store.path)["contributions"]) == 3
    assert backup_path(store.path).exists()
    assert len(orjson.loads(store.path.read_bytes())["contributions"]) >= 2, "compacted"
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]


# -- events ------------------------------------------------------------------------------------


async def test_events_are_published_only_after_the_write(
    store: SessionStore, writes: WriteCounter
) -> None:
    seen: list[tuple[int, set[str]]] = []

    def listener(changes: tuple[Change, ...]) -> None:
        disk = on_disk(store.path)
        for change in changes:
            for doc_id in change.ids:
                assert str(doc_id) in disk[change.table], "event before the write"
        seen.append((writes.calls, {c.table for c in changes}))

    def broken(changes: tuple[Change, ...]) -> None:
        raise RuntimeError("a broken listener")

    store.subscribe(broken)
    unsubscribe = store.subscribe(listener)
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(
            store.add_contribution("checkin", "een", source=Source.TUI),
            store.add_theme("knelpunten", "Thema"),
        )
        await store.update_round("checkin", submissions_open=True)
    assert seen[0][0] >= 1 and seen[0][1] == {"contributions", "themes"}
    assert seen[-1][1] == {"rounds"}
    unsubscribe()
    count = len(seen)
    await store.add_note("checkin", "stil")
    assert len(seen) == count


# -- robustness of the commit task -------------------------------------------------------------


async def test_close_writes_what_is_queued_and_returns(library: Library,
                                                       templates: Templates) -> None:
    """Closing right after a change was queued (the TUI quitting) must flush it and return."""
    store = library.create(templates.load("kennisatelier"))
    task = asyncio.ensure_future(store.add_contribution("checkin", "laatste", source=Source.TUI))
    await asyncio.sleep(0)  # the change is queued; the commit task has not run yet
    try:
        async with asyncio.timeout(2):
            await store.close()
        assert (await task).text == "laatste"
        texts = [d["text"] for d in on_disk(store.path)["contributions"].values()]
        assert texts == ["laatste"]
    finally:
        if store._committer is not None:
            store._committer.cancel()
        store.file.close()


async def test_a_change_that_cannot_be_serialised_is_refused_not_fatal(
    store: SessionStore,
) -> None:
    """A bad value (here a view state with a non-string key) must fail that one call; the store
    must keep working and the file must stay as it was."""
    before = disk_bytes(store.path)
    try:
        async with asyncio.timeout(2):
            bad, beside = await asyncio.gather(
                store.update_session(view_state={1: "selected"}),
                store.add_contribution("checkin", "ernaast", source=Source.TUI),
                return_exceptions=True,
            )
        assert isinstance(bad, Exception)
        assert not isinstance(beside, BaseException), "the other change in the batch is kept"
        async with asyncio.timeout(2):
            later = await store.add_contribution("checkin", "daarna", source=Source.TUI)
        assert later.text == "daarna"
        assert store.info.view_state == {}
        assert disk_bytes(store.path) != before
    finally:
        if store._committer is not None and store._committer.done():
            store._committer = None  # let the fixture's close() return


# -- the lock ----------------------------------------------------------------------------------

CHILD_OPENS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from facilitator.session.files import SessionLocked
    from facilitator.session.store import SessionStore
    try:
        store = SessionStore.open(Path(sys.argv[1]))
    except SessionLocked as exc:
        print("locked:", exc, flush=True)
        sys.exit(3)
    print("opened", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def child_procs() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def spawn_opener(path: Path, procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD_OPENS, str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    procs.append(proc)
    return proc


async def test_second_open_in_the_same_process_is_refused(store: SessionStore) -> None:
    with pytest.raises(SessionLocked) as caught:
        SessionStore.open(store.path)
    assert str(store.path) in str(caught.value)
    assert "another facilitator process" in str(caught.value)


async def test_lock_across_processes_and_released_on_sigkill(
    store: SessionStore, child_procs: list[subprocess.Popen[str]]
) -> None:
    path = store.path
    refused = spawn_opener(path, child_procs)
    out, err = refused.communicate(timeout=30)
    assert refused.returncode == 3, err
    assert out.startswith("locked:") and str(path) in out
    await store.close()

    holder = spawn_opener(path, child_procs)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "opened"
    with pytest.raises(SessionLocked):
        SessionStore.open(path)
    holder.kill()
    holder.wait(timeout=10)
    again = SessionStore.open(path)  # the system dropped the dead process's lock
    await again.close()


# -- damaged files -----------------------------------------------------------------------------


@pytest.fixture
async def damaged_base(store: SessionStore) -> Path:
    """A session with a .bak copy (the first commit makes one) and a few contributions."""
    for i in range(3):
        await store.add_contribution("checkin", f"tekst {i}", source=Source.TUI)
    await store.close()
    assert backup_path(store.path).exists()
    return store.path


def _truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _doc_not_object(raw: bytes) -> bytes:
    data = orjson.loads(raw)
    data["contributions"]["1"] = "tekst"
    return orjson.dumps(data)


def _session_missing_fields(raw: bytes) -> bytes:
    data = orjson.loads(raw)
    data["session"]["1"] = {"schema_version": SCHEMA_VERSION}
    return orjson.dumps(data)


def _template_snapshot_invalid(raw: bytes) -> bytes:
    data = orjson.loads(raw)
    data["session"]["1"]["template"]["rounds"][0]["minutes"] = "ten"
    return orjson.dumps(data)


def _bad_doc_id(raw: bytes) -> bytes:
    data = orjson.loads(raw)
    data["contributions"]["abc"] = data["contributions"].pop("1")
    return orjson.dumps(data)


DAMAGE = {
    "truncated": _truncated,
    "empty": lambda raw: b"",
    "garbage": lambda raw: b"\x00\xff not json",
    "json_list": lambda raw: b"[]",
    "no_session": lambda raw: b'{"contributions": {}}',
    "session_missing_fields": _session_missing_fields,
    "bad_doc_id": _bad_doc_id,
    "doc_not_object": _doc_not_object,
    "template_snapshot_invalid": _template_snapshot_invalid,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_file_is_refused_untouched_and_the_backup_offered(
    damaged_base: Path, damage: str
) -> None:
    path = damaged_base
    damaged = DAMAGE[damage](path.read_bytes())
    path.write_bytes(damaged)
    with pytest.raises(SessionCorrupt) as caught:
        SessionStore.open(path)
    message = str(caught.value)
    assert str(path) in message
    assert str(backup_path(path)) in message
    assert path.read_bytes() == damaged
    # the backup is a good session, and the failed open left no lock behind
    path.write_bytes(backup_path(path).read_bytes())
    reopened = SessionStore.open(path)
    asyncio.run(reopened.close())


def test_damaged_file_without_backup_says_so(damaged_base: Path) -> None:
    backup_path(damaged_base).unlink()
    damaged_base.write_bytes(b"{")
    with pytest.raises(SessionCorrupt) as caught:
        SessionStore.open(damaged_base, read_only=True)
    assert "No backup copy exists" in str(caught.value)


def test_newer_schema_is_refused(damaged_base: Path) -> None:
    data = orjson.loads(damaged_base.read_bytes())
    data["session"]["1"]["schema_version"] = SCHEMA_VERSION + 1
    raw = orjson.dumps(data)
    damaged_base.write_bytes(raw)
    with pytest.raises(SessionCorrupt) as caught:
        SessionStore.open(damaged_base)
    assert "newer" in str(caught.value) and "upgrade" in str(caught.value)
    assert damaged_base.read_bytes() == raw
    with pytest.raises(SessionCorrupt):
        SessionStore.open(damaged_base, read_only=True)


async def test_the_session_keeps_its_template_snapshot(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    source = Templates().files()["team-retro"].read_text(encoding="utf-8")
    (folder / "team-retro.toml").write_text(source, encoding="utf-8")
    templates = Templates(folder)
    store = library.create(templates.load("team-retro"))
    minutes = store.template.rounds[0].minutes
    await store.close()
    edited = source.replace(f"minutes = {minutes}", f"minutes = {minutes + 7}", 1)
    assert edited != source
    (folder / "team-retro.toml").write_text(edited, encoding="utf-8")
    assert templates.load("team-retro").rounds[0].minutes == minutes + 7
    again = SessionStore.open(store.path, read_only=True)
    assert again.template.rounds[0].minutes == minutes


def test_missing_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        SessionStore.open(tmp_path / "nope.json")
    assert "nope.json" in str(caught.value)


# -- read-only ---------------------------------------------------------------------------------


async def test_read_only_open_while_locked_and_refuses_writes(store: SessionStore) -> None:
    await store.add_contribution("checkin", "gedeeld", source=Source.TUI)
    reader = SessionStore.open(store.path, read_only=True)
    assert reader.read_only
    assert [c.text for c in reader.contributions("checkin")] == ["gedeeld"]
    before = disk_bytes(store.path)
    with pytest.raises(RuntimeError, match="read-only"):
        await reader.add_contribution("checkin", "mag niet", source=Source.TUI)
    with pytest.raises(RuntimeError):
        await reader.update_session(title="nee")
    assert disk_bytes(store.path) == before
    await reader.close()
    # the writer still holds its lock and keeps working
    with pytest.raises(SessionLocked):
        SessionStore.open(store.path)
    await store.add_contribution("checkin", "nog steeds", source=Source.TUI)


# -- export and import -------------------------------------------------------------------------


async def test_export_import_round_trip(store: SessionStore, library: Library,
                                        tmp_path: Path) -> None:
    await fill_every_table(store)
    await store.close()
    original = on_disk(store.path)
    exported = library.export(store.session_id)
    document = json.loads(exported)
    assert document["format"] == "facilitator-session" and document["version"] == 1
    file = tmp_path / "s.json"
    file.write_bytes(exported)

    # into another data dir: same id, same data, keys of its own
    keys = {key: original["session"]["1"].pop(key) for key in ROOM_KEYS}
    elsewhere = Library(tmp_path / "other")
    entry = elsewhere.import_file(file)
    assert entry.session_id == store.session_id
    imported = on_disk(entry.path)
    assert all(imported["session"]["1"].pop(key) != keys[key] for key in ROOM_KEYS)
    assert imported == original
    assert entry.contributions == len(original["contributions"])

    # into the same data dir: a fresh id, the original untouched
    copy = library.import_file(file)
    assert copy.session_id != store.session_id
    assert copy.session_id.startswith("kennisatelier-")
    assert on_disk(store.path) == {**original, "session": {"1": {
        **original["session"]["1"], **keys}}}
    imported = on_disk(copy.path)
    assert imported["session"]["1"]["session_id"] == copy.session_id
    imported["session"]["1"]["session_id"] = store.session_id
    for key in ROOM_KEYS:
        del imported["session"]["1"][key]
    assert imported == original
    opened = SessionStore.open(copy.path)
    assert opened.session_id == copy.session_id
    assert len(opened.contributions(visible_only=False)) == len(original["contributions"])
    await opened.close()
    assert sorted(library.session_ids()) == sorted([store.session_id, copy.session_id])


def test_entries_mark_damaged_files_and_keep_the_others(library: Library,
                                                        templates: Templates) -> None:
    store = library.create(templates.load("team-retro"), title="Retro")
    asyncio.run(store.close())
    (library.folder / "broken.json").write_bytes(b"{")
    entries = {e.session_id: e for e in library.entries()}
    assert entries[store.session_id].title == "Retro" and not entries[store.session_id].problem
    assert "invalid JSON" in entries["broken"].problem
    assert library.resolve(store.session_id[:12]) == store.path


async def test_a_closed_session_leaves_memory_though_it_was_frozen(
        library: Library, templates: Templates) -> None:
    """Opening for writing freezes the session out of the collector's sight; once it is closed
    and dropped, nothing of it may stay (the TUI's process closes the store it opened and then
    follows the host: a session of 20,000 items kept 40 MB alive for the whole day)."""
    import gc
    import weakref

    session = library.create(templates.load("kennisatelier"), title="Freed")
    await session.go_to_round(1)  # a commit: the writer has run
    gc.freeze()  # as a session being run is
    try:
        await session.close()
        state = weakref.ref(session.rankings["knelpunten"])
        gone = weakref.ref(session)
        del session
        assert gone() is None and state() is None
    finally:
        gc.unfreeze()
