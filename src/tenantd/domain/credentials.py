"""Rules for the credentials an application (or a user-assigned identity) signs in with, beyond secrets:
certificates (keyCredentials) and federated identity credentials, as Entra checks them. Pure functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .builtins import TOKEN_EXCHANGE_RESOURCE
from .errors import BadRequest
from .ids import new_guid, parse_guid
from .model import KeyCredential

MAX_FEDERATED_CREDENTIALS = 20
MAX_KEY_CREDENTIALS = 50
TOKEN_EXCHANGE_AUDIENCE = TOKEN_EXCHANGE_RESOURCE
KEY_TYPE = "AsymmetricX509Cert"
KEY_USAGE = "Verify"
_FIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
_MAX_FIC_TEXT = 600
_MAX_CERTIFICATE = 16 * 1024
_FIC_ERROR = "InvalidFederatedIdentityCredentialValue"
_KEY_FIELDS = {"@odata.type", "customKeyIdentifier", "displayName", "endDateTime", "key", "keyId", "startDateTime",
               "type", "usage"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Certificate:
    """A parsed X.509 certificate: DER, both thumbprints as ``x5t`` / ``x5t#S256`` write them, validity."""

    der: bytes
    subject: str
    thumbprint_sha1: str
    thumbprint_sha256: str
    not_before: datetime
    not_after: datetime


def certificate(key: object) -> Certificate:
    """A keyCredential's ``key``: base64 of a DER or PEM certificate, or PEM text. RSA keys only, because
    client assertions are signed RS256 or PS256."""
    if not isinstance(key, str) or not key.strip() or len(key) > 2 * _MAX_CERTIFICATE:
        raise BadRequest("Invalid value specified for property 'keyCredentials.key': the base64 encoded "
                         "certificate is required.")
    raw = key.strip().encode("ascii", "replace")
    if not raw.startswith(b"-----BEGIN"):
        try:
            raw = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("Invalid value specified for property 'keyCredentials.key': it is not base64.") from None
    try:
        cert = (x509.load_pem_x509_certificate(raw) if raw.lstrip().startswith(b"-----BEGIN")
                else x509.load_der_x509_certificate(raw))
        public = cert.public_key()
    except ValueError:
        raise BadRequest("Invalid value specified for property 'keyCredentials.key': it is not an X.509 "
                         "certificate.") from None
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < 2048:
        raise BadRequest("Invalid value specified for property 'keyCredentials.key': the certificate must "
                         "hold an RSA key of at least 2048 bits.")
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(
        der=der, subject=cert.subject.rfc4514_string() or "certificate",
        thumbprint_sha1=b64url(hashlib.sha1(der).digest()),  # noqa: S324 - x5t is defined as SHA-1
        thumbprint_sha256=b64url(hashlib.sha256(der).digest()),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
    )


def key_kind(raw: Mapping[str, Any]) -> None:
    """``type`` and ``usage`` of a new keyCredential: only certificates that verify client assertions."""
    if raw.get("type", KEY_TYPE) != KEY_TYPE:
        raise BadRequest(f"Invalid value specified for property 'keyCredentials.type': only '{KEY_TYPE}' is "
                         "supported.")
    if raw.get("usage", KEY_USAGE) != KEY_USAGE:
        raise BadRequest(f"Invalid value specified for property 'keyCredentials.usage': only '{KEY_USAGE}' is "
                         "supported (certificates that verify client assertions).")


def validity(cert: Certificate, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """startDateTime / endDateTime default to the certificate's own and must lie within them."""
    begin = start or cert.not_before
    finish = end or cert.not_after
    if begin < cert.not_before or finish > cert.not_after:
        raise BadRequest("Key credential end date is invalid: startDateTime and endDateTime must lie within the "
                         "certificate's validity period.")
    if finish <= begin:
        raise BadRequest("Invalid value specified for property 'keyCredentials.endDateTime': it must be after "
                         "startDateTime.")
    if finish <= datetime.now(UTC):
        raise BadRequest("Key credential end date is invalid: the certificate has expired.")
    return begin, finish


def key_credential(raw: Mapping[str, Any]) -> KeyCredential:
    """A new keyCredential from Graph's JSON: the certificate, and optional name, keyId and dates."""
    key_kind(raw)
    cert = certificate(raw.get("key"))
    begin, finish = validity(cert, _moment(raw.get("startDateTime"), "startDateTime"),
                             _moment(raw.get("endDateTime"), "endDateTime"))
    key_id = raw.get("keyId")
    try:
        key_id = new_guid() if key_id is None else parse_guid(key_id)
    except (ValueError, TypeError):
        raise BadRequest(f"Invalid value specified for property 'keyCredentials.keyId': {key_id!r}.") from None
    name = raw.get("displayName")
    if name is not None and (not isinstance(name, str) or len(name) > 256):
        raise BadRequest("Invalid value specified for property 'keyCredentials.displayName'.")
    return KeyCredential(key_id=key_id, display_name=name or cert.subject, type=KEY_TYPE, usage=KEY_USAGE,
                         thumbprint_sha1=cert.thumbprint_sha1, thumbprint_sha256=cert.thumbprint_sha256,
                         start=_iso(begin), end=_iso(finish), certificate=cert.der)


def key_collection(current: Sequence[KeyCredential], raw: object) -> tuple[KeyCredential, ...]:
    """The whole keyCredentials collection a POST or PATCH declares. An entry that names a current keyId and
    carries no ``key`` keeps that credential; every other entry is a new certificate; the rest go."""
    if not isinstance(raw, list):
        raise BadRequest("Invalid value specified for property 'keyCredentials': a list is required.")
    by_id = {k.key_id: k for k in current}
    result: list[KeyCredential] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise BadRequest("Invalid value specified for property 'keyCredentials': each entry must be an object.")
        unknown = sorted(set(entry) - _KEY_FIELDS)
        if unknown:
            raise BadRequest(f"Property '{unknown[0][:64]}' does not exist as a declared property or extension "
                             "property.")
        key_id = entry.get("keyId")
        kept = by_id.get(key_id.lower()) if isinstance(key_id, str) and entry.get("key") is None else None
        result.append(kept or key_credential(entry))
    return check_keys(result)


def check_keys(keys: Sequence[KeyCredential]) -> tuple[KeyCredential, ...]:
    """An application's certificates: a bounded number, each keyId and each certificate once."""
    result = tuple(keys)
    if len(result) > MAX_KEY_CREDENTIALS:
        raise BadRequest(f"Too many keyCredentials: an application holds at most {MAX_KEY_CREDENTIALS}.")
    for attr, what in (("key_id", "keyId"), ("thumbprint_sha1", "certificate")):
        values = [getattr(k, attr) for k in result]
        if len(set(values)) != len(values):
            raise BadRequest(f"Invalid value specified for property 'keyCredentials': duplicate {what}.")
    return result


def _moment(value: object, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value)) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"Invalid value specified for property 'keyCredentials.{key}': an ISO 8601 date and time "
                         "is required.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fic_name(value: object) -> str:
    if not isinstance(value, str) or not _FIC_NAME.match(value):
        raise BadRequest("Invalid value specified for property 'name' of resource 'FederatedIdentityCredential': "
                         "3 to 120 characters, letters, digits, '-' and '_', starting with a letter or digit.",
                         code=_FIC_ERROR)
    return value


def fic_issuer(value: object) -> str:
    """An issuer URL, compared later byte for byte with the assertion's ``iss``; https only."""
    if not isinstance(value, str) or not value or len(value) > _MAX_FIC_TEXT or any(c.isspace() for c in value):
        raise BadRequest("Invalid value specified for property 'issuer' of resource "
                         "'FederatedIdentityCredential': an https URL of at most 600 characters.", code=_FIC_ERROR)
    try:
        parts = urlsplit(value)
    except ValueError:   # e.g. an unclosed "[" of an IPv6 host
        parts = None
    if (parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password
            or parts.fragment):
        raise BadRequest(f"Invalid value specified for property 'issuer' of resource "
                         f"'FederatedIdentityCredential': '{value[:100]}' is not an https URL.", code=_FIC_ERROR)
    return value


def fic_subject(value: object) -> str:
    if (not isinstance(value, str) or not value or len(value) > _MAX_FIC_TEXT
            or any(not c.isprintable() for c in value)):
        raise BadRequest("Invalid value specified for property 'subject' of resource "
                         "'FederatedIdentityCredential': 1 to 600 printable characters.", code=_FIC_ERROR)
    return value


def fic_audiences(value: object) -> tuple[str, ...]:
    """One audience, as Entra allows today; api://AzureADTokenExchange unless the owner chooses another."""
    if value is None:
        return (TOKEN_EXCHANGE_AUDIENCE,)
    if (not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], str) or not value[0]
            or len(value[0]) > _MAX_FIC_TEXT or any(c.isspace() for c in value[0])):
        raise BadRequest("Invalid value specified for property 'audiences' of resource "
                         "'FederatedIdentityCredential': exactly one audience, such as "
                         f"'{TOKEN_EXCHANGE_AUDIENCE}'.", code=_FIC_ERROR)
    return (value[0],)


def fic_description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_FIC_TEXT:
        raise BadRequest("Invalid value specified for property 'description' of resource "
                         "'FederatedIdentityCredential': at most 600 characters.", code=_FIC_ERROR)
    return value


def duplicate_issuer_subject(issuer: str, subject: str, owner_kind: str) -> BadRequest:
    """Graph's answer when an owner already trusts this issuer and subject."""
    object_type = ("Microsoft.Online.DirectoryServices.Application" if owner_kind == "application"
                   else "Microsoft.Online.DirectoryServices.ServicePrincipal")
    return BadRequest(
        f"The combination of issuer and subject must be unique for the application. Issuer {issuer} and "
        f"Subject: {subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: "
        f"{subject}, objectType: {object_type}", code=_FIC_ERROR)


def too_many() -> BadRequest:
    return BadRequest(f"The maximum number of federated identity credentials ({MAX_FEDERATED_CREDENTIALS}) has "
                      "been reached for this object.", code=_FIC_ERROR)


def duplicate_name(name: str) -> BadRequest:
    return BadRequest(f"A federated identity credential named '{name}' already exists on this object.",
                      code="Request_MultipleObjectsWithSameKeyValue", status=409)

