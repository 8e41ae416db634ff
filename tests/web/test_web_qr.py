"""The QR codes decode, with a real decoder, to the join URL."""

from __future__ import annotations

import io

import PIL.Image
import zxingcpp
from aiohttp.test_utils import TestClient
from rich.console import Console

from facilitator.core.joining import wall_token
from facilitator.qr import TerminalQR, qr_png
from facilitator.session.store import SessionStore
from tests.web.conftest import scanned


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png)))]


async def test_served_png_decodes_to_the_join_url(client: TestClient, store: SessionStore) -> None:
    """The wall's QR code: the room's short link, which leads to the join page with the room's
    current code."""
    token = store.info.join_token
    for kind in ("png", "svg"):
        response = await client.get(f"/wall/{wall_token(store.info.secret)}/qr.{kind}")
        if kind == "svg":
            assert response.content_type == "image/svg+xml"
            continue
        [link] = decode(await response.read())
        assert link == str(client.make_url(f"/r/{scanned(store)}"))
        page = await client.get(link.removeprefix(str(client.make_url(""))))
        assert page.status == 200 and str(page.url).endswith(
            f"/j/{token}?code={scanned(store)}")
        assert 'name="code"' in await page.text()


def test_png_decodes_for_a_public_url() -> None:
    url = "https://workshop.example.org/j/AbC_123-xyz"
    assert decode(qr_png(url)) == [url]


def test_terminal_qr_draws_as_a_rich_renderable() -> None:
    console = Console(width=120, record=True, color_system="truecolor")
    code = TerminalQR("http://10.0.0.2:8080/j/token")
    console.print(code)
    assert "▀" in console.export_text()
    # the terminal drawing and the image have the same modules: rebuild and decode it
    scale = 8
    size = len(code.matrix)
    image = PIL.Image.new("L", (size * scale, size * scale), 255)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    framed = PIL.Image.new("L", (image.width + 8 * scale, image.height + 8 * scale), 255)
    framed.paste(image, (4 * scale, 4 * scale))
    assert [r.text for r in zxingcpp.read_barcodes(framed)] == ["http://10.0.0.2:8080/j/token"]
