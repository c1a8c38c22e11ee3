"""The error tree. Each protocol has one base whose attributes are its wire fields; each is rendered
in exactly one place (``http/app.py``)::

    TenantdError
     +-- GraphError            Graph's envelope: status, code, message
     |    +-- BadRequest       400 Request_BadRequest
     |    +-- NotFound         404 Request_ResourceNotFound
     |    +-- Unauthorized     401 InvalidAuthenticationToken
     |    +-- Forbidden        403 Authorization_RequestDenied
     +-- OAuthError            token endpoint: status, error, AADSTS code, description
     +-- ConfigError          start-up and CLI configuration problems (plain message)
     +-- Unavailable          the database cannot be reached: 503 in each protocol's shape
"""

from __future__ import annotations


class TenantdError(Exception):
    """Base of every error tenantd raises on purpose."""


class GraphError(TenantdError):
    status = 400
    code = "Request_BadRequest"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadRequest(GraphError):
    status = 400
    code = "Request_BadRequest"


class NotFound(GraphError):
    status = 404
    code = "Request_ResourceNotFound"


class Unauthorized(GraphError):
    status = 401
    code = "InvalidAuthenticationToken"


class Forbidden(GraphError):
    status = 403
    code = "Authorization_RequestDenied"


class OAuthError(TenantdError):
    """An error from the token service, with Entra's AADSTS code."""

    def __init__(self, status: int, error: str, aadsts: int, description: str,
                 headers: dict[str, str] | None = None, suberror: str | None = None) -> None:
        super().__init__(f"AADSTS{aadsts}: {description}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description
        self.headers = headers or {}
        self.suberror = suberror   # Entra's finer reason beside ``error`` (``consent_required``), when it gives one


class ConfigError(TenantdError):
    """Configuration or start-up problem; the message is shown to the operator as is."""


class Unavailable(TenantdError):
    """A dependency (the database) is temporarily unavailable; clients should retry."""

    retry_after = 5
