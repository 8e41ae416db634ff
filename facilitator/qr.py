"""QR codes for the join URL: in the terminal (a Rich renderable), as SVG and as PNG."""

from __future__ import annotations

import functools
import io

import qrcode
import qrcode.image.svg
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
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


TERMINAL_BORDER = 2
"""The quiet zone around a code drawn in the terminal, in modules: the white frame that sets
the code apart from the dark screen around it."""


@functools.lru_cache(maxsize=16)
def terminal_modules(url: str) -> int:
    """Modules across the code of ``url`` as the terminal draws it, quiet zone included."""
    return len(qr_matrix(url, border=TERMINAL_BORDER))


def terminal_size(modules: int, scale: int) -> tuple[int, int]:
    """Cells (columns, rows) a code of ``modules`` (quiet zone included) takes at ``scale``:
    a module is ``scale`` columns wide and ``scale`` half-rows high (a cell is about twice as
    high as it is wide, so the modules come out square)."""
    return modules * scale, (modules * scale + 1) // 2


def largest_scale(modules: int, width: int, height: int, most: int = 4) -> int:
    """The largest scale (at most ``most``) at which a code of ``modules`` fits in ``width`` ×
    ``height`` cells; 0 when not even scale 1 fits (a cut code does not scan: draw none)."""
    for scale in range(most, 0, -1):
        columns, rows = terminal_size(modules, scale)
        if columns <= width and rows <= height:
            return scale
    return 0


class TerminalQR:
    """Draws the code with half-block characters: two modules per character cell vertically.

    Black on white whatever the terminal theme, so phones can scan it from a projector.
    """

    def __init__(self, url: str, *, scale: int = 1) -> None:
        self.matrix = qr_matrix(url, border=TERMINAL_BORDER)
        self.scale = max(1, scale)

    @property
    def modules(self) -> int:
        """Modules across, the quiet zone included."""
        return len(self.matrix)

    @property
    def width(self) -> int:
        return terminal_size(self.modules, self.scale)[0]

    @property
    def height(self) -> int:
        return terminal_size(self.modules, self.scale)[1]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

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
