"""QR table cards (decoded back to the session's real address, table and card code) and the
`report` / `cards` commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pdf_helpers import needs_pdf
from report_session import ARABIC, JOIN_TOKEN, SESSION_ID, Fixed

from facilitator.core.joining import card_code
from facilitator.net import join_url
from facilitator.report import write_cards
from facilitator.report.cards import cards_base
from facilitator.session.files import address_path, write_sidecar
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

PUBLIC = "http://192.0.2.10:8080"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm) not installed")


def _cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(data_dir), "LANGUAGE": "en"}
    return subprocess.run([sys.executable, "-m", "facilitator", *args], cwd=cwd, env=env,
                          capture_output=True, encoding="utf-8", timeout=120)


def decoded_pages(pdf: Path, folder: Path) -> list[list[str]]:
    """What a phone's camera reads on each page of a PDF: pdftoppm, then zxing."""
    import zxingcpp
    from PIL import Image

    folder.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(pdf), str(folder / "page")],
                   check=True)
    return [[code.text for code in zxingcpp.read_barcodes(Image.open(page))]
            for page in sorted(folder.glob("page-*.png"))]


@needs_pdf
@needs_poppler
def test_cards_qr_decodes_to_the_join_url(fixed: Fixed, tmp_path: Path) -> None:
    out = write_cards(fixed.path, tmp_path / "cards.pdf", public_url=PUBLIC).path
    store = SessionStore.open(fixed.path, read_only=True)
    expected = [join_url(PUBLIC, JOIN_TOKEN, card_code(store.info, table), table)
                for table in ("A", "B")]
    # one card per table of the template, each with its own code and its table
    assert decoded_pages(out, tmp_path / "pages") == [[url] for url in expected]
    assert expected[0] != expected[1]
    assert expected[0].startswith(f"{PUBLIC}/j/{JOIN_TOKEN}?code=") and \
        expected[0].endswith("&table=A")
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True,
                          encoding="utf-8").stdout
    assert all(url in text.replace("\n", "") for url in expected)
    assert "Tafel A" in text and "Tafel B" in text and "Kaart 1" in text
    assert "Scan de QR-code" in text and "Scan the QR code" in text
    assert "Відскануйте QR-код" in text
    assert "بكاميرا هاتفك" in text and "دوربین" in text  # Arabic and Farsi lines


@needs_pdf
def test_cards_use_host_and_port_without_public_url(fixed: Fixed, tmp_path: Path) -> None:
    from facilitator.report.cards import render_cards
    from facilitator.session.store import SessionStore

    store = SessionStore.open(fixed.path, read_only=True)
    html = render_cards(store, "http://10.0.0.5:9000")
    assert "http://10.0.0.5:9000/j/golden-join-token?code=" in html
    assert "Kennisatelier &lt;Utrecht&gt; &amp; co" in html
    assert 'dir="rtl"' in html and ARABIC not in html


@needs_pdf
def test_cli_report_and_cards(fixed: Fixed, tmp_path: Path) -> None:
    data_dir = fixed.path.parent.parent
    done = _cli("report", SESSION_ID, "--format", "md,csv", "--out", str(tmp_path / "out"),
                data_dir=data_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"{SESSION_ID}-contributions.csv", f"{SESSION_ID}-votes.csv",
                       f"{SESSION_ID}.md"]
    assert str(tmp_path / "out" / f"{SESSION_ID}.md") in done.stdout

    done = _cli("cards", SESSION_ID, "--public-url", PUBLIC, data_dir=data_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"{SESSION_ID}-cards.pdf").stat().st_size > 1000


def test_cli_unknown_session_is_exit_2(fixed: Fixed, tmp_path: Path) -> None:
    data_dir = fixed.path.parent.parent
    for command in (["report", "no-such-session"], ["cards", "no-such-session"]):
        done = _cli(*command, data_dir=data_dir, cwd=tmp_path)
        assert done.returncode == 2
        assert "no-such-session" in done.stderr
    assert list(tmp_path.iterdir()) == []


async def _join(http: aiohttp.ClientSession, link: str) -> tuple[int, str]:
    """A phone that scanned ``link``: load the join page and press Start (the form as the page
    has it, hidden join code included). The status of the join, and its form token."""
    async with http.get(link) as page:
        html = await page.text()
    found = CSRF.search(html)
    if found is None:  # the page said at once why it cannot let this phone in
        return page.status, ""
    code = re.search(r'name="code" value="([^"]+)"', html)
    table = re.search(r'<option value="([^"]*)" selected>', html)
    url = link.split("?")[0]
    form = {"csrf": found.group(1), "lang": "nl", "code": code.group(1) if code else "",
            "table": table.group(1) if table else ""}
    async with http.post(f"{url}/join", data=form, headers={"Origin": url.split("/j/")[0]},
                         allow_redirects=False) as response:
        return response.status, found.group(1)


@needs_pdf
@needs_poppler
async def test_a_table_card_carries_the_running_sessions_address_and_can_be_revoked(
        tmp_path: Path) -> None:
    """The issue's table cards: `facilitator cards` (another process) prints the address and
    port the session's participant page really runs on, one card per table, each QR code a link
    with that table and the card's own code; a revoked card admits no new phone, while phones
    that joined with it keep working; the card printed again admits."""
    data_dir = tmp_path / "data"
    store = Library(data_dir).create(Templates().load("kennisatelier"), title="Kaarten")
    await store.go_to_round(0)
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert server.port != 8080
        done = _cli("cards", store.session_id, "--out", str(tmp_path / "cards.pdf"),
                    data_dir=data_dir, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"cards for {base} (where the session's participant page runs" in done.stderr
        pages = decoded_pages(tmp_path / "cards.pdf", tmp_path / "first")
        assert len(pages) == 3 and all(len(page) == 1 for page in pages)  # tables A, B, C
        links = [page[0] for page in pages]
        for link, table in zip(links, ("A", "B", "C"), strict=True):
            parts = urlsplit(link)
            query = parse_qs(parts.query)
            assert f"{parts.scheme}://{parts.netloc}" == base
            assert parts.path == f"/j/{store.info.join_token}"
            assert query == {"code": [card_code(store.info, table)], "table": [table]}
        card_b = links[1]

        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as joined:
            status, csrf = await _join(joined, card_b)
            assert status == 303
            [participant] = store.participants()
            assert participant.table_group == "B"  # the card's link picked the table
            assert participant.joined_with == "card:B"

            await store.revoke_card("B")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as late:
                async with late.get(card_b) as page:
                    assert page.status == 403
                    assert "Deze code om mee te doen is niet meer geldig" in await page.text()
                form = {"csrf": csrf, "lang": "nl",
                        "code": parse_qs(urlsplit(card_b).query)["code"][0]}
                page_url = card_b.split("?")[0]
                async with late.get(page_url):  # a cookie and a form token of its own
                    pass
                async with late.post(f"{page_url}/join", data=form,
                                     headers={"Origin": base, "Accept": "application/json"},
                                     ) as refused:
                    assert refused.status == 403
            assert len(store.participants()) == 1

            # the phone that joined with the revoked card keeps its device and goes on
            async with joined.post(f"{card_b.split('?')[0]}/send",
                                   data={"csrf": csrf, "round": "checkin", "text": "nog steeds"},
                                   headers={"Origin": base, "Accept": "application/json"},
                                   ) as sent:
                assert sent.status == 200
            assert [c.text for c in store.contributions("checkin")] == ["nog steeds"]

        done = _cli("cards", store.session_id, "--out", str(tmp_path / "again.pdf"),
                    data_dir=data_dir, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        again = [page[0] for page in decoded_pages(tmp_path / "again.pdf", tmp_path / "again")]
        assert again[0] == links[0] and again[2] == links[2]  # the other cards stay as they were
        assert again[1] != card_b and again[1].endswith("&table=B")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            assert (await _join(other, again[1]))[0] == 303
        assert len(store.participants()) == 2
        text = subprocess.run(["pdftotext", str(tmp_path / "again.pdf"), "-"], check=True,
                              capture_output=True, encoding="utf-8").stdout
        assert "Kaart 2" in text  # the new card of table B, told apart from the revoked one
    finally:
        await server.stop()
        await store.close()


@needs_poppler
def test_new_with_tables_prints_a_card_for_each(tmp_path: Path) -> None:
    """`facilitator new --tables` sets the session's own tables; `facilitator cards` prints a
    card for each, whose QR code names its table; a bad list is refused and makes nothing."""
    data = tmp_path / "data"
    refused = _cli("new", "kennisatelier", "--tables", "Noord, Zuid, Noord", data_dir=data,
                   cwd=tmp_path)
    assert refused.returncode == 2 and "'Noord' is named twice" in refused.stderr
    assert not (data / "sessions").exists() or not list((data / "sessions").iterdir())
    made = _cli("new", "kennisatelier", "--tables", "7", data_dir=data, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    session_id, file = made.stdout.splitlines()
    store = SessionStore.open(Path(file), read_only=True)
    assert store.info.tables == ("1", "2", "3", "4", "5", "6", "7")
    cards = _cli("cards", session_id, "--public-url", PUBLIC, "--out", "cards.pdf",
                 data_dir=data, cwd=tmp_path)
    assert cards.returncode == 0, cards.stderr
    pages = decoded_pages(tmp_path / "cards.pdf", tmp_path / "pages")
    assert [urlsplit(url).query.split("table=")[1] for [url] in pages] == [
        str(n) for n in range(1, 8)]
    assert pages[6] == [join_url(PUBLIC, store.info.join_token, card_code(store.info, "7"), "7")]
    named = _cli("new", "kennisatelier", "--tables", "Noord, Zuid", data_dir=data, cwd=tmp_path)
    assert SessionStore.open(Path(named.stdout.splitlines()[1]),
                             read_only=True).info.tables == ("Noord", "Zuid")


@pytest.mark.parametrize("address_file", [None, b'{"base": "javascript:alert(1)"}', b"{cut"])
async def test_a_session_from_before_the_address_file_prints_the_address_it_kept(
        tmp_path: Path, address_file: bytes | None) -> None:
    """Before the address file, the server kept its address in the session document: those
    sessions' cards still carry it; an address file that is not one is passed over."""
    store = Library(tmp_path).create(Templates().load("kennisatelier"), title="Kaarten")
    try:
        await store.update_session(join_base="http://10.1.2.3:8123")
        if address_file is not None:
            address_path(store.path).write_bytes(address_file)
        assert cards_base(store) == ("http://10.1.2.3:8123", True)
        write_sidecar(address_path(store.path), {"base": "http://10.9.8.7:8081"})
        assert cards_base(store) == ("http://10.9.8.7:8081", True)  # the page's last address
        assert cards_base(store, port=8090)[0].endswith(":8090")  # what is asked comes first
    finally:
        await store.close()
