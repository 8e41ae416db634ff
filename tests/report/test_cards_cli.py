"""QR table cards (decoded back to the join URL) and the `report` / `cards` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_session import ARABIC, JOIN_TOKEN, SESSION_ID, Fixed

from facilitator.net import join_url
from facilitator.report import write_cards

PUBLIC = "http://192.0.2.10:8080"

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm) not installed")


def _cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "facilitator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@needs_poppler
def test_cards_qr_decodes_to_the_join_url(fixed: Fixed, tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    out = write_cards(fixed.path, tmp_path / "cards.pdf", public_url=PUBLIC)
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(out), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2  # one card per table of the template (A and B)
    expected = join_url(PUBLIC, JOIN_TOKEN)
    for page in pages:
        codes = zxingcpp.read_barcodes(Image.open(page))
        assert [c.text for c in codes] == [expected]
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert expected in text
    assert "Tafel A" in text and "Tafel B" in text
    assert "Scan de QR-code" in text and "Scan the QR code" in text
    assert "Відскануйте QR-код" in text
    assert "بكاميرا هاتفك" in text and "دوربین" in text  # Arabic and Farsi lines


def test_cards_use_host_and_port_without_public_url(fixed: Fixed, tmp_path: Path) -> None:
    from facilitator.report.cards import render_cards
    from facilitator.store.store import SessionStore

    store = SessionStore.open(fixed.path, read_only=True)
    html = render_cards(store, join_url("http://10.0.0.5:9000", JOIN_TOKEN))
    assert "http://10.0.0.5:9000/j/golden-join-token" in html
    assert "Kennisatelier &lt;Utrecht&gt; &amp; co" in html
    assert 'dir="rtl"' in html and ARABIC not in html


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
