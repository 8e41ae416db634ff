"""QR codes for the join URL: in the terminal (a Rich renderable), as SVG and as PNG."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style


def _make(url: str, border: int = 2) -> qrcode.QRCode:  # type: ignore[type-arg]
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_matrix(url: str, border: int = 2) -> list[list[bool]]:
    """The modules of the code, True = dark, quiet zone of ``border`` modules included."""
    return [list(row) for row in _make(url, border).get_matrix()]


def qr_svg(url: str) -> str:
    """A standalone SVG (scalable, for the wall and printed cards)."""
    image = _make(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]


def qr_png(url: str, box_size: int = 10) -> bytes:
    code = _make(url, border=4)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


class TerminalQR:
    """Draws the code with half-block characters: two modules per character cell vertically.

    Black on white whatever the terminal theme, so phones can scan it from a projector.
    """

    def __init__(self, url: str, *, scale: int = 1) -> None:
        self.matrix = qr_matrix(url)
        self.scale = max(1, scale)

    @property
    def width(self) -> int:
        return len(self.matrix[0]) * self.scale

    @property
    def height(self) -> int:
        return (len(self.matrix) * self.scale + 1) // 2

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = [
            [cell for cell in row for _ in range(self.scale)]
            for row in self.matrix
            for _ in range(self.scale)
        ]
        if len(rows) % 2:
            rows.append([False] * len(rows[0]))
        black, white = "#000000", "#ffffff"
        for top, bottom in zip(rows[::2], rows[1::2], strict=True):
            for upper, lower in zip(top, bottom, strict=True):
                style = Style(color=black if upper else white, bgcolor=black if lower else white)
                yield Segment("▀", style)
            yield Segment.line()
