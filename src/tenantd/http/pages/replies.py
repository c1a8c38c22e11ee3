"""Answers to the client at its redirect URI, in the response mode it asked for: the query (the default for
``code`` alone), the fragment (the default once the answer holds an ID token), or a form the browser posts
there (form_post: a visible button, and a same-origin script that presses it, since the pages' CSP forbids
inline script); and the error page for what cannot go back to a client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.responses import Response

from ...domain.errors import OAuthError
from ...tokens.authorize import AuthorizeRefusal, Reply
from .render import page, redirect


def to_client(reply: Reply, answer: list[tuple[str, str]]) -> Response:
    uri = reply.redirect_uri
    if reply.response_mode == "form_post":
        return page("form_post.html", form_targets=[uri], title="Working...", action=uri, fields=answer)
    encoded = urlencode(answer)
    if reply.response_mode == "fragment":
        return redirect(f"{uri}#{encoded}")
    return redirect(f"{uri}{'&' if '?' in uri else '?'}{encoded}")


def error_to_client(reply: Reply, error: OAuthError) -> Response:
    trace, correlation, timestamp = _ids()
    answer = [("error", error.error),
              ("error_description", f"AADSTS{error.aadsts}: {error.description}\r\nTrace ID: {trace}\r\n"
                                    f"Correlation ID: {correlation}\r\nTimestamp: {timestamp}"),
              ("error_uri", f"https://login.microsoftonline.com/error?code={error.aadsts}"), *reply.extra]
    if reply.state is not None:
        answer.append(("state", reply.state))
    return to_client(reply, answer)


def error_page(error: OAuthError) -> Response:
    """Entra's "Sorry, but we're having trouble signing you in." with the AADSTS code and text."""
    trace, correlation, timestamp = _ids()
    return page("error.html", error.status, title="Sign in", code=error.aadsts, description=error.description,
                trace=trace, correlation=correlation, timestamp=timestamp)


def refusal(exc: AuthorizeRefusal) -> Response:
    return error_to_client(exc.reply, exc.error) if exc.reply is not None else error_page(exc.error)


def _ids() -> tuple[str, str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
