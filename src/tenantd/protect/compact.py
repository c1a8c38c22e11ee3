"""Split a JWS in compact form and decode its parts, with every limit checked before the work it bounds.

PyJWT checks each base64url character in a Python loop, which costs more than the RSA verification
itself; here the alphabet is checked in one C pass (``bytes.translate``) and the stdlib decodes. The
signature is still checked by PyJWT's algorithm for the key (see jwks.py): nothing here trusts the header.
"""

from __future__ import annotations

import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from .errors import InvalidToken

MAX_TOKEN = 16 * 1024      # Entra access tokens are 1-4 KB; 200 group ids still fit
MAX_HEADER = 1024          # Entra's headers are ~100 characters
MAX_KID = 128              # Entra's kids are 27-43 characters

_B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TOKEN_CHARS = _B64URL + b"."
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_VALUE = {c: i for i, c in enumerate(_B64URL)}
# Header members whose presence asks for something this validator does not do: refuse, never ignore.
_REFUSED_MEMBERS = ("crit", "b64", "enc", "zip")
_TYPES = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})


@dataclass(frozen=True, slots=True)
class Jws:
    """A token's decoded parts: nothing in it is verified yet."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    kid: str
    alg: str


def _decode(segment: bytes) -> bytes:
    """Unpadded, canonical base64url (the alphabet was checked over the whole token already)."""
    rest = len(segment) % 4
    if rest == 1 or not segment:
        raise InvalidToken("bad base64url length")
    # The unused low bits of the last character must be zero, or one value has several encodings.
    if (rest == 2 and _VALUE[segment[-1]] & 0x0F) or (rest == 3 and _VALUE[segment[-1]] & 0x03):
        raise InvalidToken("non-canonical base64url")
    try:
        return binascii.a2b_base64(segment.translate(_TO_STANDARD) + b"=" * (-rest % 4), strict_mode=True)
    except binascii.Error as exc:
        raise InvalidToken("bad base64url") from exc


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


_JSON = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_finite)


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    """A JSON object, strictly: UTF-8, no duplicate member, no NaN/Infinity, bounded nesting."""
    try:
        value = _JSON.decode(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidToken(f"{part} is not strict JSON") from exc
    if not isinstance(value, dict):
        raise InvalidToken(f"{part} is not a JSON object")
    return value


def parse(token: object, max_size: int = MAX_TOKEN) -> Jws:
    """The parts of a compact JWS whose header this validator could accept, or InvalidToken."""
    if not isinstance(token, str) or len(token) > max_size:
        raise InvalidToken("not a string of acceptable size")
    raw = token.encode("ascii", "replace")
    if raw.translate(None, _TOKEN_CHARS):
        raise InvalidToken("characters outside base64url")
    if raw.count(b".") != 2:
        raise InvalidToken("not a compact JWS (three segments)")  # a JWE has five
    head, body, sig = raw.split(b".")
    if len(head) > MAX_HEADER:
        raise InvalidToken("header too large")
    header = _json_object(_decode(head), "header")
    kid, alg = _check_header(header)
    payload = _json_object(_decode(body), "payload")
    return Jws(header, payload, raw[: len(head) + 1 + len(body)], _decode(sig), kid, alg)


def _check_header(header: dict[str, Any]) -> tuple[str, str]:
    """``kid`` and ``alg`` if the header asks for nothing unsupported. ``jku``, ``x5u``, ``jwk`` and ``x5c``
    are never read: keys come only from the configured discovery document."""
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg or alg.lower() == "none":
        raise InvalidToken("missing or unsigned alg")
    for name in _REFUSED_MEMBERS:
        if name in header:
            raise InvalidToken(f"unsupported header member {name}")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _TYPES):
        raise InvalidToken("typ is not an access token type")
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID:
        raise InvalidToken("kid missing or malformed")
    return kid, alg
