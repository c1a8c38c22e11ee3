"""A tap on one hop of a chain of APIs: a reverse proxy that passes each GET on to the API behind it and keeps
the bearer token the request carried and the status the API answered, so a test reads each hop's token as that
API received it, without changing the code on either side."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

PASSED_HEADERS = ("content-type", "www-authenticate")


@dataclass(frozen=True)
class Passed:
    token: str     # the bearer token, "" without one
    status: int    # what the API behind answered


class TokenTap:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.passed: list[Passed] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def last(self) -> Passed:
        assert self.passed, f"nothing went through the tap to {self.upstream}"
        return self.passed[-1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tap = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorization = self.headers.get("Authorization")
                answer = httpx.get(f"{tap.upstream}{self.path}", timeout=30,
                                   headers={"Authorization": authorization} if authorization else {})
                scheme, _, token = (authorization or "").partition(" ")
                tap.passed.append(Passed(token if scheme.lower() == "bearer" else "", answer.status_code))
                self.send_response(answer.status_code)
                for name in PASSED_HEADERS:
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
