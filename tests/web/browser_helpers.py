"""What the browser tests share: Debian's Chromium, a free port, and the speech synthesis a test
can give a phone (headless Chromium has no voices of its own)."""

from __future__ import annotations

import shutil
import socket

import pytest

CHROMIUM = "/usr/bin/chromium"
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                       reason=f"{CHROMIUM} is missing (Debian package 'chromium')"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


FAKE_VOICES = """
(() => {
  // The phone's speech synthesis as the test sets it: window.__voices is what getVoices()
  // returns (a test may change it later and fire "voiceschanged", as a phone does when its
  // voices load late); what is spoken is kept in window.__spoken. The utterance is the
  // phone's too: a real one takes only a real voice.
  const synth = new EventTarget();
  window.__voices = %s;
  window.__spoken = [];
  synth.getVoices = () => window.__voices;
  synth.speak = (u) => window.__spoken.push({text: u.text, lang: u.lang});
  synth.cancel = () => {};
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ""; this.voice = null; }
  };
})();
"""
"""An init script (``page.add_init_script``); ``%s`` is the voices as a JSON list, e.g.
``[{"lang": "ar-SA", "name": "Laila", "default": true}]``."""
