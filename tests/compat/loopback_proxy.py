"""An HTTPS proxy (CONNECT only) on loopback for the Azure CLI's processes, given to them as ``HTTPS_PROXY``.

It tunnels to loopback and nowhere else: a CONNECT to any other host is refused (403) and written down, so a
test can assert that az reached nothing beyond this machine. It also answers the one request msal sends to
port 443 whatever port the authority names, the user realm probe before a password sign-in
(``https://localhost/common/userrealm/{upn}``): a tunnel to ``localhost:443`` goes to tenantd's port, as a
port forward 443 -> tenantd would on a developer's machine. The bytes are tunnelled, never read: TLS is
between az and tenantd, checked against tenantd's CA."""

from __future__ import annotations

import select
import socket
import socketserver
import threading

LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


class LoopbackProxy:
    def __init__(self, https_port: int) -> None:
        self.https_port = https_port
        self.refused: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._tunnel(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, *_ = [*head.split(b"\r\n", 1)[0].decode("latin-1").split(" "), "", ""]
        host, _, port_text = target.rpartition(":")
        if method != "CONNECT" or host not in LOOPBACK:
            self.refused.append(f"{method} {target}")
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        port = self.https_port if port_text == "443" else int(port_text)
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            _pipe(client, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    ends = [one, other]
    while True:
        readable, _, _ = select.select(ends, [], [], 120)
        if not readable:
            return
        for end in readable:
            data = end.recv(65536)
            if not data:
                return
            (other if end is one else one).sendall(data)
