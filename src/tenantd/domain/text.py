"""Text from outside made safe to store and to show.

A request can carry any code point: a lone UTF-16 surrogate (from a JSON ``\\ud800`` escape) that no UTF-8
database accepts, a NUL that PostgreSQL refuses in text, or a terminal's escape sequences (cursor moves,
erased lines, OSC 8 links) that redraw the screen of whoever reads the text later. :func:`printable` replaces
each such character with U+FFFD, so the rest of the text is kept and the replacement shows where one was.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"

# C0 controls, DEL and C1 controls; lone surrogates; the line and paragraph separators; the bidirectional
# embeddings, overrides and isolates, which reorder how a terminal draws the rest of a line.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character, lone surrogate and bidirectional control replaced by U+FFFD."""
    if text.isprintable() and text.isascii():
        return text
    return _UNPRINTABLE.sub(REPLACEMENT, text)
