"""A $BROWSER for Python's webbrowser that completes the sign-in page msal or azure-identity opens.

msal's `acquire_token_interactive` and azure-identity's `InteractiveBrowserCredential` listen on a loopback
port and call `webbrowser.open(auth_uri)`; webbrowser runs the $BROWSER command with the URL in place of `%s`.
This script opens the URL in headless Chromium, signs in as the user the environment names
(entra_page.USER_VARIABLE, PASSWORD_VARIABLE; STAY_VARIABLE "no" answers No to "Stay signed in?";
CONSENT_VARIABLE "accept" or "cancel" answers the consent page) and waits until the browser has delivered the
response to the URL's `redirect_uri`. Run as a file: its folder is on sys.path, hence the top-level import."""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qs, urlsplit

from entra_page import (
    CONSENT_VARIABLE,
    PASSWORD_VARIABLE,
    STAY_VARIABLE,
    USER_VARIABLE,
    launch,
    new_context,
    sign_in,
)
from playwright.sync_api import sync_playwright


def main(url: str) -> int:
    redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_context(browser).new_page()
        page.set_default_timeout(30_000)
        try:
            consent = os.environ.get(CONSENT_VARIABLE) or None
            sign_in(page, url, os.environ[USER_VARIABLE], os.environ[PASSWORD_VARIABLE],
                    until=lambda address: address.startswith(redirect_uri),
                    stay_signed_in=os.environ.get(STAY_VARIABLE, "yes") == "yes",
                    consent=None if consent is None else consent == "accept")
        except Exception as error:
            where = urlsplit(page.url)._replace(query="", fragment="").geturl()   # no code or state printed
            print(f"complete_sign_in: {error}\nat {where}:\n{page.inner_text('body', timeout=1000)}",
                  file=sys.stderr)
            return 1
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
