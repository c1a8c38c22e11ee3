"""Every AADSTS code tenantd answers with, in a sentence a person reads in the sign-in log or the token preview
(what went wrong and what to change). The meanings follow Entra's reference of its error codes
(learn.microsoft.com/entra/identity-platform/reference-error-codes); tests/domain/test_aadsts.py fails when the
source emits a code this table does not explain."""

from __future__ import annotations

EXPLANATIONS: dict[int, str] = {
    16000: "A silent sign-in could not pick an account: several accounts are signed in, or the one hinted is not "
           "usable here. Sign in interactively.",
    28000: "The scope names more than one resource: a token is for one resource, so ask for each separately.",
    50000: "The server failed while answering the request (an internal error); retry, and report it if it lasts.",
    50011: "The redirect URI in the request is not one registered on the application (its web, spa or "
           "publicClient redirect URIs); register it or send a registered one.",
    50013: "The assertion (a user's token presented on-behalf-of, or a client assertion) failed validation: its "
           "signature, signing key or form is not one this tenant accepts.",
    50020: "The user is not in the tenant the request signs in to, so she cannot use the application there.",
    50027: "The token presented is invalid or malformed (not a compact JWT, or missing required claims).",
    50034: "The user account does not exist in this tenant's directory.",
    50053: "The account is locked: too many wrong passwords were tried from this source (smart lockout). Wait "
           "for the lockout to end.",
    50055: "The user's password has expired or must be changed at next sign-in "
           "(forceChangePasswordNextSignIn); she must set a new one first.",
    50057: "The user account is disabled (accountEnabled is false).",
    50058: "A silent sign-in (prompt=none) found no signed-in user: the session cookie was missing or the session "
           "needs a new sign-in.",
    50059: "The request names no tenant (it went to common or organizations) and nothing in it implies one; use "
           "the tenant's own endpoint.",
    50105: "The resource requires an app role assignment (appRoleAssignmentRequired) and the user holds none, "
           "neither herself nor through a group she is a direct member of.",
    50126: "The user name or the password is wrong (an unknown user gets the same answer).",
    50166: "Fetching the federated credential's external issuer (its OpenID configuration or keys) failed.",
    50173: "The grant was revoked: the user's sessions were revoked (revokeSignInSessions, a password reset) "
           "after it was issued. She must sign in again.",
    50194: "The application is single-tenant (AzureADMyOrg) and cannot be used through common or "
           "organizations; use the tenant's own endpoint.",
    54005: "The authorization code was already redeemed; codes are single-use. Get a new code or use the "
           "refresh token.",
    65001: "Consent is missing: neither the user nor an administrator consented to the client's delegated "
           "permission on the resource. Grant consent (an oAuth2PermissionGrant) or sign in interactively.",
    65004: "The user declined to consent to the application.",
    70000: "The grant (an authorization code or device code) is invalid: not one this tenant issued, or issued to "
           "another client.",
    70003: "The grant_type is not one the token endpoint supports.",
    70005: "The response_type is not supported or not enabled for the application.",
    70007: "The response_mode is not supported for this request (tokens are never sent in the query string).",
    70008: "The authorization code or refresh token has expired; sign in again.",
    70011: "A scope is not valid: the resource offers no such scope, or it is malformed.",
    70016: "The device code is still pending: the user has not entered the code yet. Keep polling.",
    70018: "The user code entered on the device login page is not one that was issued.",
    70019: "The user code entered on the device login page has expired.",
    70020: "The device code has expired; start the device code flow again.",
    70021: "No federated identity credential on the application matches the presented assertion's issuer, "
           "subject and audience.",
    90002: "The tenant named in the request does not exist.",
    90014: "A required field is missing from the request (such as scope or nonce).",
    90015: "The request's query string is too long.",
    90033: "The service is temporarily unavailable (the database could not be reached); retry shortly.",
    90055: "Too many requests of this kind at once (throttled); retry after the time given.",
    90094: "The permission needs an administrator's consent; a user cannot grant it herself.",
    90120: "The device code was already authorized or declined.",
    240002: "An ID token was presented as an on-behalf-of assertion; only an access token can be.",
    500011: "The resource named in the request is not in this tenant (no service principal has that appId or "
            "identifierUri); check the name or create the service principal.",
    500112: "The redirect URI of the redemption is not the one the authorization code was issued for.",
    500131: "The assertion's audience is not the client presenting it (on-behalf-of needs a token issued for the "
            "calling API).",
    500133: "The assertion (the user's token presented on-behalf-of) has expired or is not yet valid.",
    501051: "The resource requires an app role assignment (appRoleAssignmentRequired) and the client application "
            "holds none on it.",
    501481: "The PKCE code_verifier does not match the code_challenge of the authorization request.",
    501491: "The PKCE code_challenge has the wrong size (an S256 challenge is 43 characters).",
    650052: "The application needs access to a service this tenant has not enabled (its service principal is "
            "missing or disabled).",
    700016: "The client application is not found in this tenant (no service principal with that appId).",
    700021: "The client assertion's issuer or subject is not the client_id of the request.",
    700023: "The client assertion's audience is not this tenant's token endpoint.",
    700024: "The client assertion is outside its validity period (expired or not yet valid).",
    700025: "The client is public: it must not present a secret or an assertion.",
    700027: "The client assertion's signature does not verify, or its certificate is not registered on the "
            "application.",
    700051: "response_type 'token' is not enabled for the application (implicit grant access tokens are off).",
    700054: "response_type 'id_token' is not enabled for the application (implicit grant ID tokens are off).",
    700082: "The refresh token has expired due to inactivity; sign in again.",
    700084: "The refresh token was issued to a single-page application and its fixed 24-hour lifetime is over; "
            "sign in again.",
    900144: "A required parameter is missing or a parameter's value is not valid (or the request body is malformed "
            "or too large).",
    900971: "No reply address: the application has no redirect URI registered and the request names none.",
    901002: "The 'resource' parameter is not supported on this (v2) endpoint; use scope.",
    1002012: "The client credentials flow needs a scope ending in /.default (the resource's App ID URI followed by "
             "/.default).",
    5002741: "The client assertion names more than one audience; it must name exactly one.",
    7000112: "The application is disabled (its service principal's accountEnabled is false).",
    7000114: "The application cannot make on-behalf-of calls with an app-only token; on-behalf-of needs a user's "
             "token.",
    7000215: "The client secret is wrong (send the secret's value, not its id).",
    7000218: "The client sent no credential (client_secret or client_assertion) and is not a public client.",
    7000222: "The client secret has expired; add a new one.",
    9002313: "The request is malformed or the grant is not one this server issued.",
    9002325: "PKCE is required (code_challenge with code_challenge_method S256) for a public client or single-page "
             "application.",
    9002326: "Cross-origin token redemption is allowed only for single-page applications.",
    9002327: "Tokens for a single-page application can be redeemed only in a cross-origin request (from its "
             "browser).",
}


def explain(code: int | None) -> str:
    """The sentence for ``code``; a plain note when tenantd has none (a code another server answered with)."""
    if code is None or code <= 0:
        return "Refused without an AADSTS code."
    return EXPLANATIONS.get(code, f"AADSTS{code}: no explanation is known for this code.")
