"""What a phone's camera sees of a screen: the pixels Chromium draws (of the TUI's SVG screenshot
or of a web page), and the QR codes in them as zxing-cpp decodes them.

The TUI's screenshot (``App.export_screenshot``) is the terminal as Textual draws it, cell by
cell, the QR code's half blocks included; Chromium draws it as a browser draws any SVG, with the
machine's monospace font standing in for the terminal's. A code that is cut, or too big for its
panel, decodes to nothing here, as it does on a phone. Chromium loads nothing but the SVG and
127.0.0.1 (the screenshot names a web font, which is refused).

    async with chromium() as browser:
        image = await svg_pixels(browser, app.export_screenshot())
        [code] = codes_in(image)
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import PIL.Image
import pytest

from tests.web.browser_helpers import CHROMIUM

LOCAL = re.compile(r"^(data:|about:|https?://127\.0\.0\.1[:/])")


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium, headless (the tests that use it carry ``needs_chromium``)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            await browser.close()


async def local_only(page: Any) -> None:
    """Refuse every request that does not stay on this machine."""

    async def route(request_route: Any) -> None:
        if LOCAL.match(request_route.request.url):
            await request_route.continue_()
        else:
            await request_route.abort()

    await page.route("**/*", route)


async def svg_pixels(browser: Any, svg: str) -> PIL.Image.Image:
    """The SVG as Chromium draws it, at its own size (one SVG unit, one pixel)."""
    found = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert found, "the screenshot has no viewBox"
    width, height = (round(float(value)) for value in found.groups())
    page = await browser.new_page(viewport={"width": width, "height": height})
    try:
        await local_only(page)
        await page.set_content(
            "<!doctype html><html><body style='margin:0'>"
            + svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)
            + "</body></html>")
        png = await page.screenshot(full_page=False)
    finally:
        await page.close()
    return PIL.Image.open(io.BytesIO(png))


async def page_pixels(page: Any) -> PIL.Image.Image:
    """What a browser page shows in its window, as pixels."""
    return PIL.Image.open(io.BytesIO(await page.screenshot(full_page=False)))


@dataclass(frozen=True)
class Seen:
    """A QR code found in an image: what it says, and where it is (pixels)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def centre_x(self) -> float:
        return (self.left + self.right) / 2


def codes_in(image: PIL.Image.Image) -> list[Seen]:
    """Every QR code zxing-cpp reads in ``image``, as a phone's camera would."""
    import zxingcpp

    seen = []
    for result in zxingcpp.read_barcodes(image.convert("RGB")):
        corners = result.position
        xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x,
              corners.bottom_right.x]
        ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y,
              corners.bottom_right.y]
        seen.append(Seen(result.text, min(xs), min(ys), max(xs), max(ys)))
    return seen
