"""The command palette: every action of the current screen by name (from its bindings, which
all have ids and descriptions), plus the app's own (report, join screen, quit)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from facilitator.tui.i18n import _


class FacilitatorCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        found: list[tuple[str, str, Callable[[], object]]] = []
        seen: set[str] = set()
        for bindings in screen._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.id or not binding.description or binding.action in seen:
                    continue
                seen.add(binding.action)
                key = binding.key_display or binding.key.split(",")[0]
                help_text = binding.tooltip or _("key: {key}").format(key=key)
                found.append((binding.description, help_text,
                              partial(screen.run_action, binding.action)))
        app = self.app
        extra: list[tuple[str, str, str]] = [
            (_("Report preview"), _("The session report as Markdown"), "report_preview"),
            (_("Export report"), _("Write the report files (Markdown, HTML, PDF)"),
             "export_report"),
            (_("Quit"), _("Leave the app; everything is saved"), "quit"),
        ]
        for name, help_text, action in extra:
            if action not in seen:
                found.append((name, help_text, partial(app.run_action, action)))
        return found

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)
