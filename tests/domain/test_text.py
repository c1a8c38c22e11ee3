"""``printable``: what no database stores and no terminal should obey, replaced; everything else kept."""

from __future__ import annotations

import pytest

from tenantd.domain.text import printable


@pytest.mark.parametrize(("text", "shown"), [
    ("api://things/.default", "api://things/.default"),
    ("Zoë's app, 東京 ✓", "Zoë's app, 東京 ✓"),
    ("\ud800", "\ufffd"),                                   # a lone surrogate: no UTF-8 encoding exists
    ("a\x00b", "a\ufffdb"),                                  # NUL: PostgreSQL refuses it in text
    ("\x1b[1A\x1b[2K", "\ufffd[1A\ufffd[2K"),                # cursor up, erase line
    ("\x1b]8;;https://evil/\x07link", "\ufffd]8;;https://evil/\ufffdlink"),   # an OSC 8 link
    ("\x9b2J", "\ufffd2J"),                                  # C1: the 8-bit CSI
    ("line\nforged\r\t", "line\ufffdforged\ufffd\ufffd"),
    ("\x7f", "\ufffd"),
    ("abc\u202edcba", "abc\ufffddcba"),                      # a bidirectional override
    ("a\u2028b", "a\ufffdb"),
])
def test_printable_replaces_controls_surrogates_and_bidi_overrides(text: str, shown: str) -> None:
    assert printable(text) == shown
    printable(text).encode("utf-8")


def test_every_code_point_comes_out_printable_and_encodable() -> None:
    for code in range(0x3000):
        out = printable(chr(code))
        out.encode("utf-8")
        assert out == chr(code) or out == "\ufffd"
        assert "\x00" not in out and not (0x80 <= ord(out) < 0xA0)
