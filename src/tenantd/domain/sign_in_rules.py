"""Rules for how people sign in to an application: its audience, redirect URIs by platform, fallback public
client flag, implicit grant settings, groups claim and optional claims, as Entra checks them. Pure functions that raise
:class:`BadRequest` or return the value to keep."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from .errors import BadRequest
from .model import ImplicitGrantSettings

SIGN_IN_AUDIENCES = ("AzureADMyOrg", "AzureADMultipleOrgs")
# Graph's other audiences admit personal Microsoft accounts, which a tenantd tenant does not hold.
PERSONAL_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
PLATFORMS = ("web", "spa", "publicClient")
MAX_REDIRECT_URI = 256            # characters per URI
MAX_REDIRECT_URIS = 256           # per application, all platforms together (work and school accounts)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_UNSUPPORTED_CHARACTERS = set("!$'(),;*")   # Entra's list, and wildcards, which it refuses for these audiences
GROUP_CLAIMS = ("None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All")
MAX_GROUP_CLAIMS = 128            # characters: three names and their separators fit many times over
TOKEN_KINDS = ("idToken", "accessToken", "saml2Token")
_CLAIM_FIELDS = {"name", "source", "essential", "additionalProperties"}
# web.implicitGrantSettings: each property by Graph's name, and the ImplicitGrantSettings field it sets.
IMPLICIT_GRANT_FIELDS = {"enableIdTokenIssuance": "enable_id_token_issuance",
                         "enableAccessTokenIssuance": "enable_access_token_issuance"}


def _invalid(prop: str, detail: str) -> BadRequest:
    return BadRequest(f"Invalid value specified for property '{prop}' of resource 'Application': {detail}.")


def sign_in_audience(value: object) -> str:
    if value in PERSONAL_AUDIENCES:
        raise _invalid("signInAudience", f"'{value}' admits personal Microsoft accounts, which tenantd does not "
                                         f"hold; use {' or '.join(SIGN_IN_AUDIENCES)}")
    if value not in SIGN_IN_AUDIENCES:
        raise _invalid("signInAudience", f"{value!r} is not one of {', '.join(SIGN_IN_AUDIENCES)}")
    return str(value)


def is_fallback_public_client(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise _invalid("isFallbackPublicClient", "true, false or null is required")
    return value


def implicit_grant_settings(value: object, current: ImplicitGrantSettings) -> ImplicitGrantSettings:
    """``web.implicitGrantSettings`` applied to ``current``: the properties given replace theirs (null is
    off), those left out stay as they are; null as a whole turns both off."""
    if value is None:
        return ImplicitGrantSettings()
    prop = "web.implicitGrantSettings"
    if not isinstance(value, dict):
        raise _invalid(prop, "an object is required")
    changes = {}
    for key, flag in value.items():
        if key == "@odata.type":
            continue
        if key not in IMPLICIT_GRANT_FIELDS:
            raise _invalid(prop, f"{str(key)[:64]!r} is not one of {', '.join(IMPLICIT_GRANT_FIELDS)}")
        if flag is not None and not isinstance(flag, bool):
            raise _invalid(f"{prop}.{key}", "true, false or null is required")
        changes[IMPLICIT_GRANT_FIELDS[key]] = bool(flag)
    return replace(current, **changes)


def redirect_uri(platform: str, value: object) -> str:
    """One redirect URI of ``platform``: https, or http on a loopback host; a public client may also use a
    custom scheme (``msal<appId>://auth``, ``urn:ietf:wg:oauth:2.0:oob``). Never a fragment."""
    prop = f"{platform}.redirectUris"
    if not isinstance(value, str) or not value or len(value) > MAX_REDIRECT_URI:
        raise _invalid(prop, f"each URI is a string of 1 to {MAX_REDIRECT_URI} characters")
    if any(c.isspace() or c in _UNSUPPORTED_CHARACTERS or ord(c) < 32 for c in value):
        raise _invalid(prop, f"'{value}' holds a space or a character Entra does not support (! $ ' ( ) , ; *)")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise _invalid(prop, f"'{value}' is not a URI") from None
    if "#" in value:
        raise _invalid(prop, f"'{value}' has a fragment")
    scheme = parts.scheme.lower()
    if scheme == "http":
        if host not in LOOPBACK_HOSTS:
            raise _invalid(prop, f"'{value}' uses http: only http://localhost, 127.0.0.1 or [::1] may")
    elif scheme == "https":
        if not host:
            raise _invalid(prop, f"'{value}' has no host")
    elif platform != "publicClient" or not scheme:
        raise _invalid(prop, f"'{value}' must use https (or http on a loopback host)")
    elif scheme != "urn" and not parts.netloc:
        raise _invalid(prop, f"'{value}' is not an absolute URI")
    return value


def redirect_uris(platform: str, values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise _invalid(f"{platform}.redirectUris", "a list is required")
    uris = tuple(redirect_uri(platform, v) for v in values)
    if len(set(uris)) != len(uris):
        raise _invalid(f"{platform}.redirectUris", "duplicate values")
    return uris


def redirect_uri_count(*platforms: tuple[str, ...]) -> None:
    if sum(len(p) for p in platforms) > MAX_REDIRECT_URIS:
        raise _invalid("redirectUris", f"an application holds at most {MAX_REDIRECT_URIS} redirect URIs")


def group_membership_claims(value: object) -> str | None:
    """``None``, ``SecurityGroup``, ``DirectoryRole``, ``ApplicationGroup`` or ``All``, or several of the middle
    three separated by commas, as the manifest writes them; kept as given."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) and len(value) <= MAX_GROUP_CLAIMS else []
    if (not names or any(n not in GROUP_CLAIMS for n in names) or len(set(names)) != len(names)
            or (len(names) > 1 and ("None" in names or "All" in names))):
        raise _invalid("groupMembershipClaims", f"{value!r}: one of {', '.join(GROUP_CLAIMS)}, or several of "
                                                "SecurityGroup, DirectoryRole and ApplicationGroup separated by commas")
    return str(value)


def optional_claims(value: object) -> dict[str, Any] | None:
    """Graph's optionalClaims object, every token kind and claim field written out as Graph writes them."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("optionalClaims", "an object is required")
    unknown = [k for k in value if k not in TOKEN_KINDS and not k.startswith("@odata.")]
    if unknown:
        raise _invalid("optionalClaims", f"unknown property '{unknown[0]}'")
    return {kind: [_optional_claim(kind, c) for c in _list(value.get(kind), f"optionalClaims.{kind}")]
            for kind in TOKEN_KINDS}


def _list(value: object, prop: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(prop, "a list is required")
    return value


def _optional_claim(kind: str, raw: object) -> dict[str, Any]:
    prop = f"optionalClaims.{kind}"
    if not isinstance(raw, dict):
        raise _invalid(prop, "each claim is an object")
    unknown = [k for k in raw if k not in _CLAIM_FIELDS and not k.startswith("@odata.")]
    if unknown:
        raise _invalid(prop, f"unknown property '{unknown[0]}'")
    name, source = raw.get("name"), raw.get("source")
    essential = False if raw.get("essential") is None else raw["essential"]
    extra = _list(raw.get("additionalProperties"), f"{prop}.additionalProperties")
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise _invalid(prop, "each claim has a name of 1 to 256 characters")
    if source is not None and (not isinstance(source, str) or len(source) > 256):
        raise _invalid(prop, "a claim's source is null or a string")
    if not isinstance(essential, bool):
        raise _invalid(prop, "a claim's essential is true or false")
    if not all(isinstance(p, str) and 0 < len(p) <= 256 for p in extra):
        raise _invalid(prop, "a claim's additionalProperties are strings")
    return {"additionalProperties": list(extra), "essential": essential, "name": name, "source": source}
