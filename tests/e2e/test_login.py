"""`tenantd login` signs a person in through the device code flow (the test answers the code on the device
login page, as she would in her browser); `tenantd token --resource R` without `--as` then gets her own tokens
by her refresh token; `tenantd logout` forgets her."""

from __future__ import annotations

import os
import re
import stat
import subprocess

from tenantd.domain import builtins

from ..http.pages_support import Browser, text
from ..support import TENANTD, Server
from .test_cli_passwords import signs_in

PASSWORD = "Login-Pass-1"


def test_login_token_and_logout(server: Server) -> None:
    server.cli("user", "create", "lena@contoso.test", "--password", PASSWORD, check=True)
    assert signs_in(server, "lena@contoso.test", PASSWORD)
    login = subprocess.Popen([*TENANTD, "--data", str(server.data), "login"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert login.stderr is not None
        message = login.stderr.readline()
        assert "/devicelogin" in message, message
        user_code = re.search(r"enter the code (\S+)", message)
        assert user_code, message
        browser = Browser(server)
        page = browser.get("/devicelogin")
        confirm = browser.submit(browser.submit(browser.submit(page, otc=user_code.group(1)),
                                                loginfmt="lena@contoso.test"), passwd=PASSWORD)
        assert "Azure CLI" in text(confirm)
        assert browser.submit(confirm).status_code == 200
        browser.close()
        out, err = login.communicate(timeout=60)
    finally:
        login.kill()
    assert login.returncode == 0, err
    assert "Signed in as lena@contoso.test" in out
    saved = server.data / "login.json"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600   # her refresh token is a credential

    decoded = server.cli("token", "--resource", builtins.GRAPH_RESOURCE, "--decode", "--json", check=True).stdout
    assert '"upn": "lena@contoso.test"' in decoded or '"preferred_username": "lena@contoso.test"' in decoded
    assert '"idtyp": "user"' in decoded

    assert server.cli("logout", check=True).stdout.strip() == "Signed out."
    refused = server.cli("token", "--resource", builtins.GRAPH_RESOURCE)
    assert refused.returncode == 1 and "Nobody is signed in" in refused.stderr
    assert server.cli("logout").returncode == 1
