"""Domain names a tenant verifies: DNS names in lower case, and the initial domain every tenant is born with.

Pure rules: they raise :class:`BadRequest` or return.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from .errors import BadRequest

MAX_NAME = 253                      # a DNS name's length in text form (RFC 1035, without the final dot)
# Initial domains live under a name in .test, which RFC 2606 reserves and the real DNS never delegates:
# no tenant of any tenantd can ever shadow a real domain, or a real tenant's <name>.onmicrosoft.com.
INITIAL_PARENT = "onmicrosoft.test"
MAX_INITIAL_LABEL = 40
# ASCII labels of 1-63 letters, digits and inner hyphens; two labels at least; the last starts with a letter
# (so that no IPv4 address passes for a name). Internationalised names go in their xn-- (punycode) form.
NAME_PATTERN = ("^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+"
                "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_NAME = re.compile(NAME_PATTERN)


def domain_name(value: object) -> str:
    """A DNS name, returned in lower case (domains compare without case); BadRequest otherwise."""
    if not isinstance(value, str) or len(value) > MAX_NAME or not _NAME.fullmatch(value):
        shown = repr(value[:80]) if isinstance(value, str) else type(value).__name__
        raise BadRequest(f"Invalid domain name {shown}: a domain name is made of labels of 1-63 letters, digits and "
                         f"hyphens (not first or last) separated by dots, at least two, at most {MAX_NAME} "
                         "characters, the last label starting with a letter (write an internationalised name "
                         "in its xn-- form).")
    return value.lower()


def custom_domain(value: object) -> str:
    """A domain a tenant may add: any DNS name but those under :data:`INITIAL_PARENT` (initial domains)."""
    name = domain_name(value)
    if name == INITIAL_PARENT or name.endswith("." + INITIAL_PARENT):
        raise BadRequest(f"The domain '{name}' is under {INITIAL_PARENT}, which holds tenants' initial domains "
                         "only: add a domain of your own.")
    return name


def initial_label(tenant_name: str) -> str:
    """The first label of a tenant's initial domain: the letters and digits of its name (accents dropped),
    lower case, as Entra's ``<name>.onmicrosoft.com``; ``tenant`` when the name has none."""
    ascii_name = unicodedata.normalize("NFKD", tenant_name).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in ascii_name.lower() if c.isalnum())[:MAX_INITIAL_LABEL] or "tenant"


def initial_domain(tenant_name: str, taken: Callable[[str], bool]) -> str:
    """``<label>.onmicrosoft.test`` for a new tenant; ``<label>2``, ``<label>3`` ... while ``taken`` says the
    name is held (two tenant names may share their letters: "Contoso" and "contoso!")."""
    label = initial_label(tenant_name)
    candidate, n = f"{label}.{INITIAL_PARENT}", 1
    while taken(candidate):
        n += 1
        candidate = f"{label}{n}.{INITIAL_PARENT}"
    return candidate


def is_root(name: str, verified: Iterable[str]) -> bool:
    """Graph's ``isRoot``: no other verified domain of the tenant is a parent of ``name``."""
    return not any(name.endswith("." + other) for other in verified if other != name)
