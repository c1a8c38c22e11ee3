"""The pieces of the shared-tenant topology test: the README's "Running a shared tenant" commands run as
written (with this machine's ports and database), a TLS certificate from a CA of the test's own, nginx as a
process of the test, and a bounded load that records what every request saw."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .serving import READY

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Running a shared tenant"
README_HOST = "tenantd.example.com"
README_DATABASE = "postgresql://tenantd@db.example.com/tenantd"
README_TLS = "/etc/ssl/tenantd/"
README_PORTS = ("8081", "8082", "8083")   # replica A, replica B, the restore drill's replica
NGINX = "/usr/sbin/nginx"
MISSING = "{} is missing: apt-get update && apt-get install -y nginx jq (.ci/run does this)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_section() -> str:
    return (ROOT / "README.md").read_text().split(SECTION + "\n", 1)[1].split("\n## ", 1)[0]


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme_section(), re.DOTALL)


@dataclass
class Topology:
    """This machine's stand-ins for the README's names: ports, databases, the nginx certificate."""
    work: Path
    nginx_port: int
    database: str
    drill_database: str
    ports: tuple[int, int, int] = field(default_factory=lambda: (free_port(), free_port(), free_port()))

    @property
    def public_url(self) -> str:
        return f"https://localhost:{self.nginx_port}"

    def local(self, text: str) -> str:
        """README text with this machine's names (the longer database name first: it extends the other)."""
        text = text.replace(README_DATABASE + "_drill", self.drill_database).replace(README_DATABASE, self.database)
        text = text.replace(f"https://{README_HOST}", self.public_url).replace(README_TLS, f"{self.work}/tls/")
        text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{self.nginx_port} ssl;")
        for readme_port, port in zip(README_PORTS, self.ports, strict=True):
            text = re.sub(rf"\b{readme_port}\b", str(port), text)
        return text


class Reader:
    """Runs README lines as its reader would, in one directory, the environment carried from line to line."""

    def __init__(self, topology: Topology, env: dict[str, str]) -> None:
        self.topology = topology
        self.env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
        self.env.pop("TENANTD_MASTER_KEY", None)
        self.env.pop("TENANTD_DATABASE", None)
        self.output = ""

    def play(self, block: str, *, append: str = "") -> list[subprocess.Popen[bytes]]:
        """The block's lines in order: background ones (``... &``) as processes of the test, each run of the
        others in one bash that stops at the first failing line. ``append`` goes at the end of the last line."""
        lines = [self.topology.local(line) for line in block.splitlines() if line.strip()]
        lines[-1] += append
        started, foreground = [], []
        for line in lines:
            if line.endswith("&"):
                self.run(foreground)
                foreground = []
                started.append(self.start(line, f"background-{len(list(self.topology.work.glob('*.log')))}"))
            else:
                foreground.append(line)
        self.run(foreground)
        return started

    def run(self, lines: list[str]) -> None:
        if not lines:
            return
        saved = self.topology.work / "reader.env"
        script = "set -euo pipefail\n" + "\n".join(lines) + f"\nenv -0 > '{saved}'\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.topology.work, env=self.env, capture_output=True,
                              text=True, timeout=120)
        self.output = done.stdout
        assert done.returncode == 0, f"README lines failed ({done.returncode}):\n{script}\n{done.stdout}{done.stderr}"
        self.env = dict(item.split("=", 1) for item in saved.read_text().split("\0") if "=" in item)

    def start(self, line: str, name: str) -> subprocess.Popen[bytes]:
        """A background line as a process of the test; returns once it printed its ready line."""
        command = line.removesuffix("&").strip()
        log = self.topology.work / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.topology.work, env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if READY.search(log.read_text()):
                return proc
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        raise AssertionError(f"`{command}` did not start:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_certificate(tls: Path) -> Path:
    """A CA and a certificate for localhost signed by it, as the README's fullchain.pem/privkey.pem; the CA's
    file."""
    tls.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "topology test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tls / "fullchain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (tls / "privkey.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (tls / "ca.pem").write_bytes(ca.public_bytes(pem))
    return tls / "ca.pem"


def require_tools() -> None:
    """nginx and jq are the reader's tools here: a machine without them fails, never skips."""
    for tool in (NGINX, shutil.which("jq") or "jq"):
        if not Path(tool).is_file():
            raise AssertionError(MISSING.format(tool))


def start_nginx(work: Path, site: str) -> subprocess.Popen[bytes]:
    """nginx in the foreground with the README's site file, its pid, logs and temp files under ``work``."""
    root = work / "nginx"
    root.mkdir()
    (root / "tenantd.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {root}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                         "scgi"))
    (root / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
        f"events {{ worker_connections 1024; }}\nhttp {{\n    access_log {root}/access.log;\n{temp}\n"
        f"    include {root}/tenantd.conf;\n}}\n")
    proc = subprocess.Popen([NGINX, "-c", str(root / "nginx.conf"), "-p", str(root), "-e", str(root / "error.log"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return proc


def wait_ready(url: str, verify: ssl.SSLContext | bool, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/_tenantd/health/ready", verify=verify, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become ready:\n{log.read_text() if log.exists() else ''}")


@dataclass
class Outcome:
    kind: str         # "token" or "group"
    started: float
    ended: float
    status: int       # 0: no HTTP answer
    group_id: str | None = None


class Load:
    """``connections`` clients through nginx, each alternating a client credentials token and a new group,
    until ``seconds`` have passed; every outcome is kept."""

    def __init__(self, url: str, ca: Path, tenant: str, client_id: str, secret: str, graph_token: str,
                 connections: int = 16) -> None:
        self.url, self.ca, self.tenant = url, ca, tenant
        self.form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                     "scope": "https://graph.microsoft.com/.default"}
        self.headers = {"Authorization": f"Bearer {graph_token}"}
        self.connections = connections
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        self._threads = [threading.Thread(target=self._client, args=(until,)) for _ in range(self.connections)]
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(60)

    def _client(self, until: float) -> None:
        verify = ssl.create_default_context(cafile=str(self.ca))
        with httpx.Client(base_url=self.url, verify=verify, timeout=15) as client:
            n = 0
            while time.monotonic() < until:
                n += 1
                kind = "group" if n % 2 else "token"
                started = time.monotonic()
                status, group_id = 0, None
                try:
                    if kind == "token":
                        status = client.post(f"/{self.tenant}/oauth2/v2.0/token", data=self.form).status_code
                    else:
                        name = f"load-{uuid.uuid4().hex[:12]}"
                        answer = client.post("/v1.0/groups", headers=self.headers, json={
                            "displayName": name, "mailEnabled": False, "mailNickname": name,
                            "securityEnabled": True})
                        status = answer.status_code
                        group_id = answer.json()["id"] if status == 201 else None
                except httpx.HTTPError:
                    pass
                with self._lock:
                    self.outcomes.append(Outcome(kind, started, time.monotonic(), status, group_id))

    def acknowledged(self) -> list[str]:
        return [o.group_id for o in self.outcomes if o.group_id]

    def failures(self, after: float, before: float = float("inf")) -> list[Outcome]:
        """The requests that ended without success between ``after`` and ``before``."""
        return [o for o in self.outcomes if o.status not in (200, 201) and after <= o.ended < before]
