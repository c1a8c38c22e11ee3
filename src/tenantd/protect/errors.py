"""Why a request is refused, with the wire fields of RFC 6750 as attributes.

    ProtectError                 status, error, description: what a client is told
     ├── Unauthorized            401
     │    ├── MissingToken       no bearer token at all (RFC 6750 3.1: no error code)
     │    └── InvalidToken       error="invalid_token"; ``reason`` says why, for logs only
     ├── Forbidden               403 error="insufficient_scope": a valid token without the required role
     └── KeysUnavailable         503: no signing key could be loaded yet, so nothing can be validated

The descriptions are a short fixed set: a client learns that its token expired or names another
resource, never which check of the signature or header failed.
"""

from __future__ import annotations

INVALID = "The access token is invalid."
EXPIRED = "The access token has expired."
NOT_YET_VALID = "The access token is not yet valid."
WRONG_AUDIENCE = "The access token is not for this resource."


class ProtectError(Exception):
    status: int = 401
    error: str | None = None
    description: str = ""

    def __init__(self, description: str | None = None, *, reason: str | None = None) -> None:
        if description is not None:
            self.description = description
        self.reason = reason or self.description   # for logs: may say more than the client is told
        super().__init__(self.reason)

    def headers(self, realm: str = "") -> dict[str, str]:
        """Response headers: a ``WWW-Authenticate`` challenge for 401 and 403."""
        parts = [f'realm="{realm}"']
        if self.error:
            parts += [f'error="{self.error}"', f'error_description="{self.description}"']
        return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


class Unauthorized(ProtectError):
    status = 401


class MissingToken(Unauthorized):
    description = "A bearer token is required."


class InvalidToken(Unauthorized):
    error = "invalid_token"
    description = INVALID

    def __init__(self, reason: str, description: str = INVALID) -> None:
        super().__init__(description, reason=reason)


class Forbidden(ProtectError):
    status = 403
    error = "insufficient_scope"
    description = "The access token does not grant the required role."


class KeysUnavailable(ProtectError):
    status = 503
    description = "The token signing keys are not available yet."

    def headers(self, realm: str = "") -> dict[str, str]:
        return {"Retry-After": "5"}
