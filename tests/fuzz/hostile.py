"""Text that breaks stores and encoders, for the fuzzers: NUL (PostgreSQL's text refuses it), other control
characters, unpaired UTF-16 surrogates (JSON escapes them as "\\ud800", which parses back to one; SQLite
cannot bind one, UTF-8 cannot encode one), non-ASCII and quoting characters."""

from __future__ import annotations

from hypothesis import strategies as st

# Mostly those characters, with some ordinary text between them. Drawn as a list of characters: Hypothesis's
# text() never yields a surrogate.
HOSTILE = st.lists(st.one_of(
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\x01", "\x1b", "\x7f", "\x85", "\u2028",
                     "\ufeff", "\U0001f600", "'", '"', "\\", "%"]),
    st.characters(codec="utf-8"),
    st.characters(categories=["Cc", "Cs"]),
), min_size=1, max_size=24).map("".join)
