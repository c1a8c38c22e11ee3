"""User passwords as Entra ID accepts them, and generated ones that it would accept.

Entra's password policy for cloud users: 8 to 256 characters from A-Z, a-z, 0-9, the symbols
``@ # $ % ^ & * - _ ! + = [ ] { } | \\ : ' , . ? / ` ~ " ( ) ; < >`` and the space, and at least three of the
four kinds (lower case, upper case, digits, symbols). Graph refuses any other with a 400 whose message says
the password does not comply with the complexity requirements.
"""

from __future__ import annotations

import secrets
import string

from .errors import BadRequest

MIN_LENGTH = 8
MAX_LENGTH = 256
SYMBOLS = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> "
_KINDS = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)
_ALLOWED = frozenset("".join(_KINDS))
_GENERATED_SYMBOLS = "-_!+=.?"       # symbols that survive a shell, a URL form and a YAML scalar unquoted
_GENERATED_LENGTH = 24


def not_complex() -> BadRequest:
    return BadRequest("The specified password does not comply with password complexity requirements. "
                      "Please provide a different password.")


def check_complexity(password: object) -> str:
    """``password`` when Entra's policy accepts it, else Graph's 400."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise not_complex()
    if not set(password) <= _ALLOWED:
        raise not_complex()
    if sum(any(c in kind for c in password) for kind in _KINDS) < 3:
        raise not_complex()
    return password


def generate() -> str:
    """A random password of 24 characters (about 140 bits) with all four kinds."""
    alphabet = string.ascii_letters + string.digits + _GENERATED_SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(_GENERATED_LENGTH))
        if all(any(c in kind for c in candidate) for kind in _KINDS):
            return candidate
