"""Users' password hashes: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane).

A hash is a PHC string that records its own parameters, so hashes made with older parameters keep verifying
after the parameters change. Hashing costs about 30 ms of one core: the token service verifies in a bounded
pool (``tokens/passwords.py``), never on a request's own thread.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1
_HASHER = PasswordHasher(time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=LANES, type=Type.ID)
# What an unknown user's password is checked against: the same work as a real check, and never a match.
DUMMY_HASH = _HASHER.hash("no user has this password: it only costs what a real check costs")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(hash_: str, password: str) -> bool:
    """Whether ``password`` matches ``hash_`` (a PHC string with its own parameters)."""
    try:
        return _HASHER.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
