"""Issue 6's secure defaults beyond the catalogue, and SECURITY.md item 27: request heads and bodies are
bounded on every route of both listeners, TLS guards everything but the managed identity listener, and that
listener binds loopback unless the operator widens it."""

from __future__ import annotations

import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tenantd.http.admin_tenantfile import MAX_DOCUMENT
from tenantd.http.bodies import MAX_BODY
from tenantd.http.limits import MAX_HEAD

from ..http.delegated_support import GLOBAL_ADMIN, person, user_token
from ..http.graph_support import new_app, new_sp, ok
from ..support import Server, start_server
from .support import ADMIN, GRAPH

TOO_BIG = b'{"displayName":"' + b"x" * (MAX_BODY + 1) + b'"}'
# These take no body: an oversized one is never read.
NO_BODY = {("POST", "/_tenantd/keys/{kid}/revoke"), ("POST", "/v1.0/users/{id}/revokeSignInSessions"),
           ("POST", "/v1.0/me/revokeSignInSessions")}
LARGER = {("POST", "/_tenantd/apply"): MAX_DOCUMENT}   # a tenant file may be larger than an API call


@pytest.fixture(scope="module")
def ids(server: Server) -> dict[str, str]:
    """Objects for every path parameter of the routes that take a body."""
    app = new_app(server, "bounded")
    new_sp(server, app)
    fic = ok(server.graph("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json={
        "name": "bounded", "issuer": "https://issuer.example", "subject": "s",
        "audiences": ["api://AzureADTokenExchange"]}), 201)
    user = ok(server.graph("POST", "/users", json={
        "displayName": "Bounded", "accountEnabled": True, "mailNickname": "b",
        "userPrincipalName": f"b{uuid.uuid4().hex[:6]}@contoso.com",
        "passwordProfile": {"password": "Pass-word-1"}}), 201)
    group = ok(server.graph("POST", "/groups", json={"displayName": "Bounded", "mailEnabled": False,
                                                     "mailNickname": "b", "securityEnabled": True}), 201)
    identity = ok(server.admin("POST", "/identities", json={"name": "bounded-ua", "type": "UserAssigned"}), 201)
    return {"application": app["id"], "appId": app["appId"], "fid": fic["id"], "name": fic["name"],
            "servicePrincipal": ok(server.graph("GET", f"/servicePrincipals(appId='{app['appId']}')"))["id"],
            "user": user["id"], "group": group["id"], "identity": identity["id"],
            "me_token": user_token(server, person(server, "bounded", GLOBAL_ADMIN))}   # /me takes a person's token


def _concrete(path: str, ids: dict[str, str]) -> str:
    kind = ("application" if path.startswith("/v1.0/applications") else "servicePrincipal"
            if path.startswith("/v1.0/servicePrincipals") else "user" if path.startswith("/v1.0/users")
            else "group" if path.startswith("/v1.0/groups") else "identity")
    return (path.replace("{app_id}", ids["appId"]).replace("{fid}", ids["fid"]).replace("{name}", ids["name"])
            .replace("{id}", ids[kind]).replace("{member_id}", ids["user"]))


WRITES = [c for c in [*GRAPH, *ADMIN] if c[0] in ("POST", "PATCH", "PUT") and c not in NO_BODY]


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 16 * 1024):
        yield body[start:start + 16 * 1024]


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_bodies_beyond_the_limit_get_413_on_every_route(server: Server, ids: dict[str, str], method: str,
                                                        path: str) -> None:
    token = (ids["me_token"] if path.startswith("/v1.0/me") else server.admin_token() if path.startswith("/v1.0")
             else server.admin_token("api://tenantd"))
    limit = LARGER.get((method, path), MAX_BODY)
    body = b'{"document":"' + b"x" * (limit + 1) + b'"}'
    with server.http() as client:
        for content in (body, _chunks(body)):   # with Content-Length, and chunked without one
            response = client.request(method, _concrete(path, ids), content=content, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert response.status_code == 413, response.text


def test_token_and_legacy_endpoints_bound_their_bodies_too(server: Server, ids: dict[str, str]) -> None:
    form = b"grant_type=client_credentials&client_secret=" + b"x" * MAX_BODY
    with server.http() as client:
        for version in ("oauth2/v2.0/token", "oauth2/token", "oauth2/v2.0/devicecode", "oauth2/devicecode"):
            response = client.post(f"/{server.tenant_id}/{version}", content=_chunks(form),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert response.status_code == 413
        aad = client.post(f"/{server.tenant_id}/servicePrincipals/{ids['servicePrincipal']}/appRoleAssignments",
                          params={"api-version": "1.6"}, content=TOO_BIG, headers={
                              "Authorization": f"Bearer {server.admin_token('https://graph.windows.net')}",
                              "Content-Type": "application/json"})
        assert aad.status_code == 413
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as client:
        shell = client.post("/anything/cloudshell/token", headers={"Metadata": "true"},
                            content=b"resource=" + b"x" * 9000)
        assert shell.status_code == 413


def _refused(call: Callable[[], httpx.Response]) -> bool:
    """The server answered 431 (or its HTTP parser's 400), or cut the connection while the head still came."""
    try:
        return call().status_code in (400, 431)
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
        return True


@pytest.mark.parametrize("size", [MAX_HEAD + 1, 64 * 1024, 200 * 1024])
def test_heads_beyond_the_limit_are_refused_on_both_listeners(server: Server, size: int) -> None:
    big = {"X-Padding": "a" * size}
    discovery = f"/{server.tenant_id}/v2.0/.well-known/openid-configuration"
    with server.http() as client:
        assert client.get(discovery, headers={"X-Padding": "a" * (MAX_HEAD // 2)}).status_code == 200
        assert _refused(lambda: client.get(discovery, headers=big))
        assert _refused(lambda: client.get(discovery, params={"q": "a" * min(size, 60_000)}))
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as client:
        assert _refused(lambda: client.get("/msi/token", headers=big))


def _unfinished_head(sock: socket.socket, chunk: int = 4096, most: int = 1024 * 1024) -> bytes:
    """Send a head whose one header never ends, a chunk at a time, until the server answers or closes; what
    it answered (b"" when it closed or stopped reading without a word)."""
    sock.sendall(b"GET /msi/token HTTP/1.1\r\nHost: localhost\r\nX-Padding: ")
    sent = 0
    sock.settimeout(0.05)
    while sent < most:
        try:
            sock.sendall(b"a" * chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            break
        sent += chunk
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        return answer
    sock.settimeout(5)
    try:
        return sock.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""


def test_a_head_that_never_ends_is_refused_once_past_the_limit(server: Server) -> None:
    """A client that sends headers forever (slowloris) gets 431 within the bound, and the connection ends."""
    for url in (server.info["identity_url"], server.url):
        port = int(url.rsplit(":", 1)[1])
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        if url.startswith("https"):
            context = ssl.create_default_context(cafile=server.ca_cert)
            raw = context.wrap_socket(raw, server_hostname="localhost")
        with raw:
            answer = _unfinished_head(raw)
        assert answer.startswith(b"HTTP/1.1 431 "), (url, answer[:80])


def test_tls_guards_everything_but_the_identity_listener(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/common/discovery/instance", timeout=10)
    context = ssl.create_default_context(cafile=server.ca_cert)
    with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw, server_hostname="localhost"
                                                                                   ) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as client:
        assert client.get("/msi/token").status_code in (400, 401)   # plain HTTP, on loopback only


def _outward_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))   # TEST-NET-1: nothing is sent
            address: str = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_27_the_identity_listener_binds_loopback_by_default(server: Server) -> None:
    port = int(server.info["identity_url"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((outward, port), timeout=5).close()


def test_27_the_https_listener_binds_loopback_by_default(server: Server) -> None:
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((outward, int(server.url.rsplit(":", 1)[1])), timeout=5).close()


# -- time: a head must arrive whole soon after it began, and a connection that sends nothing is closed ------------
@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("impatient"), "--head-timeout", "1", "--idle-timeout", "1")
    yield running
    running.stop()


def _connect(server: Server, listener: str) -> socket.socket:
    """A connection to ``listener`` ("https": TLS handshake done; "identity": plain)."""
    url = server.url if listener == "https" else server.info["identity_url"]
    raw = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5)
    if listener == "https":
        return ssl.create_default_context(cafile=server.ca_cert).wrap_socket(raw, server_hostname="localhost")
    return raw


def _trickled_head(sock: socket.socket, every: float, lines: int) -> tuple[bytes, float]:
    """Send a head one header line every ``every`` seconds (``lines`` of them, then its end) until the server
    answers or closes; what it answered (b"" for nothing) and after how many seconds."""
    started = time.monotonic()
    sock.sendall(b"GET /_tenantd/health HTTP/1.1\r\nHost: localhost\r\n")
    sock.settimeout(every)
    for line in [*(b"X-Slow-%d: a\r\n" % n for n in range(lines)), b"\r\n"]:
        try:
            answer = sock.recv(65536)
            return answer, time.monotonic() - started
        except TimeoutError:
            pass
        except (ConnectionResetError, ssl.SSLError):
            return b"", time.monotonic() - started
        try:
            sock.sendall(line)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return b"", time.monotonic() - started
    sock.settimeout(5)
    return sock.recv(65536), time.monotonic() - started


def _closed_after(sock: socket.socket, wait: float) -> float | None:
    """Seconds until the server closes ``sock`` without a word, or None when it is still open after ``wait``."""
    started = time.monotonic()
    sock.settimeout(wait)
    try:
        answer = sock.recv(65536)
    except TimeoutError:
        return None
    except (ConnectionResetError, ssl.SSLError):
        answer = b""
    assert answer == b"", answer[:80]
    return time.monotonic() - started


@pytest.mark.parametrize("listener", ["https", "identity"])
def test_a_head_trickled_line_by_line_gets_408_on_both_listeners(impatient: Server, listener: str) -> None:
    """One header line every 0.3 s, for 6 s: past the head timeout (1 s) the server answers 408 and closes;
    it used to serve the request whenever its head ended."""
    with _connect(impatient, listener) as sock:
        answer, elapsed = _trickled_head(sock, every=0.3, lines=20)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
        # the client's clock starts a moment before the server's: the lower bound leaves room for that
        assert b"connection: close" in answer.lower() and 0.8 <= elapsed < 3.0, elapsed
        assert _closed_after(sock, 5) is not None


@pytest.mark.parametrize("listener", ["https", "identity"])
def test_an_idle_new_connection_is_closed_on_both_listeners(impatient: Server, listener: str) -> None:
    with _connect(impatient, listener) as sock:
        closed = _closed_after(sock, 6)
        assert closed is not None and 0.9 <= closed < 3.0, closed
    with _connect(impatient, listener) as sock:   # a client that takes its time, within the limits, is served
        time.sleep(0.5)
        answer, _ = _trickled_head(sock, every=0.2, lines=2)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]


def test_the_timeouts_are_on_by_default(server: Server) -> None:
    """The defaults (idle 5 s, head 10 s), on both listeners at once: an idle connection and a trickled head
    each, none of them served or left open."""
    def idle(listener: str) -> float | None:
        with _connect(server, listener) as sock:
            return _closed_after(sock, 15)

    def trickled(listener: str) -> tuple[bytes, float]:
        with _connect(server, listener) as sock:
            return _trickled_head(sock, every=2, lines=10)

    with ThreadPoolExecutor(4) as pool:
        idles = [pool.submit(idle, listener) for listener in ("https", "identity")]
        heads = [pool.submit(trickled, listener) for listener in ("https", "identity")]
        for closed in (future.result() for future in idles):
            assert closed is not None and 4.5 <= closed < 8, closed
        for answer, elapsed in (future.result() for future in heads):
            assert answer.startswith(b"HTTP/1.1 408 ") and 9.5 <= elapsed < 14, (answer[:80], elapsed)


def test_a_client_gone_mid_body_is_one_log_line(server: Server) -> None:
    """A client that closes its connection halfway through a body (on each kind of route that reads one, on
    both listeners) leaves one line in the log, not a traceback."""
    graph, admin = server.admin_token(), server.admin_token("api://tenantd")
    posts = [("https", f"/{server.tenant_id}/oauth2/v2.0/token", ""), ("https", "/v1.0/applications", graph),
             ("https", "/_tenantd/apply", admin), ("identity", "/any-secret/cloudshell/token", "")]
    log = server.data / "server.log"
    before = log.stat().st_size
    for listener, path, token in posts:
        with _connect(server, listener) as sock:
            kind = "application/json" if path.startswith("/v1.0") else "application/x-www-form-urlencoded"
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                         f"Content-Type: {kind}\r\nMetadata: true\r\nContent-Length: 1000\r\n\r\n"
                         "resource=api".encode())
            time.sleep(0.3)   # the request is under way, waiting for the rest of its body
    time.sleep(1)
    lines = log.read_bytes()[before:].decode().splitlines()
    assert len(lines) == len(posts) and all("closed the connection" in line for line in lines), "\n".join(lines)
    assert "any-secret" not in "".join(lines)   # the path, which may hold a host secret, is not logged


def test_the_health_check_names_no_process(server: Server) -> None:
    """Without a token, both listeners' health checks say the server is ready and which worker answered, by a
    label of no meaning outside the server: not its process id."""
    labels = []
    for base in (server.url.replace("localhost", "127.0.0.1"), server.info["identity_url"]):
        with httpx.Client(base_url=base, verify=ssl.create_default_context(cafile=server.ca_cert)) as client:
            answer = client.get("/_tenantd/health")
        assert answer.status_code == 200 and set(answer.json()) == {"status", "checks", "worker"}, answer.text
        assert str(server.proc.pid) not in answer.text
        labels.append(answer.json()["worker"])
    assert labels[0] == labels[1]   # one process serves both listeners
