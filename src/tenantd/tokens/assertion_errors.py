"""The AADSTS errors of an on-behalf-of request's user assertion, one factory per code, in Entra's words (its
error code reference and the answers Entra gives middle tiers)."""

from __future__ import annotations

from ..domain.errors import OAuthError

SHOWN = 256   # characters of a value the caller sent that an error repeats


def signature_failed(reason: str, kid: str) -> OAuthError:
    """The assertion is not signed by one of this tenant's published keys (another tenant's or server's, a
    retired or revoked one, or altered since)."""
    return OAuthError(400, "invalid_grant", 50013, f"Assertion failed signature validation. [Reason - {reason}, "
                      f"Thumbprint of key used by client: '{kid[:64]}']")


def invalid(reason: str) -> OAuthError:
    """The assertion is signed by this tenant but is not one it accepts (another issuer, no user, no ``exp``)."""
    return OAuthError(400, "invalid_grant", 50013, f"Assertion is invalid: {reason}.")


def not_in_time(now: str, starts: str | None, expires: str) -> OAuthError:
    window = f"Current time: {now}, expiry time of assertion {expires}"
    if starts is not None:
        window = f"Current time: {now}, assertion valid from {starts}, expiry time of assertion {expires}"
    return OAuthError(400, "invalid_grant", 500133, "Assertion is not within its valid time range. Ensure that the "
                      f"access token is not expired before using it for user assertion, or request a new token. "
                      f"{window}.")


def revoked(issued: str, valid_from: str) -> OAuthError:
    """The assertion was issued before the user's sessions were revoked (``revokeSignInSessions``)."""
    return OAuthError(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh "
                      "auth token is needed. The user might have changed or reset their password. The grant was "
                      f"issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for "
                      f"this user is '{valid_from}'.")


def id_token() -> OAuthError:
    return OAuthError(400, "invalid_grant", 240002, "Input id_token cannot be used as "
                      "'urn:ietf:params:oauth:grant-type:jwt-bearer' grant.")


def app_only(client_app_id: str) -> OAuthError:
    """The assertion is an application's own token (client credentials, managed identity): on-behalf-of is
    for users only."""
    return OAuthError(400, "unauthorized_client", 7000114,
                      f"Application '{client_app_id}' is not allowed to make application on-behalf-of calls.")


def wrong_audience(audience: str, client_app_id: str, client_name: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 500131,
                      f"Assertion audience does not match the Client app presenting the assertion. The audience in "
                      f"the assertion was '{audience[:SHOWN]}' and the expected audience is '{client_app_id}' or one "
                      f"of the Application Uris of this application with App ID '{client_app_id}'"
                      f"({client_name[:SHOWN]}). The downstream client must request a token for the expected "
                      "audience (the application that made the OBO request) and this application should use that "
                      "token as the assertion.")


def unknown_user(user_id: str, tenant_id: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 50034,
                      f"The user account {user_id[:64]} does not exist in the {tenant_id} directory. To sign into "
                      "this application, the account must be added to the directory.")


def requested_token_use(value: str) -> OAuthError:
    if not value:
        return OAuthError(400, "invalid_request", 900144,
                          "The request body must contain the following parameter: 'requested_token_use'.")
    return OAuthError(400, "invalid_request", 900144, f"The value '{value[:64]}' of the parameter "
                      "'requested_token_use' is not supported: the jwt-bearer grant takes 'on_behalf_of'.")
