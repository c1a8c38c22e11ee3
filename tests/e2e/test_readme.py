"""The README's tour and story run as written, in order, right after `tenantd up --demo`: a README that drifts
from the CLI fails here.

Each ``sh`` block of the sections "A five-minute tour", "The story, end to end" and "People" runs line by line in one
bash (exports and ``eval`` carry over), in a directory of its own holding a link to ``examples/``. A line
passes when it exits 0, unless its comment (on the line, or a comment-only line right after it) says what
it shows instead:

- ``# 403 ...``: an HTTP status the output must contain (the command itself may exit non-zero);
- ``# no "roles"``: text the output must not contain;
- ``# "roles": [...]``, ``# "scp": "..."`` or ``# "no changes" ...``: text the output must contain.

What the test changes, and why: the API's port 8000 becomes a free one (``THINGS_URL`` tells ``web.py``);
``pip install`` lines are not run (the suite's environment is not the reader's to change) but their extra must
exist and import; a background line (``... &``) is followed by a wait until its port answers.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from ..support import start_server

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("## A five-minute tour", "## The story, end to end", "## People")
README_PORT = "8000"


@dataclass
class Line:
    command: str
    comment: str = ""

    def failure(self, output: str, returncode: int) -> str | None:
        """Why this line failed, or None."""
        if status := re.match(r"(\d{3})\b", self.comment):
            return None if status.group(1) in output else f"expected HTTP {status.group(1)}"
        if returncode != 0:
            return f"exit code {returncode}"
        if absent := re.match(r'no ("[^"]+")', self.comment):
            return f"{absent.group(1)} shown" if absent.group(1) in output else None
        if present := re.match(r'"([^"]+)"(: (\[[^\]]*\]|"[^"]*"))?', self.comment):
            expected = present.group(0) if present.group(2) else present.group(1)
            return None if expected in output else f"expected {expected!r}"
        return None


def readme_lines() -> list[Line]:
    text = (ROOT / "README.md").read_text()
    lines: list[Line] = []
    for title in SECTIONS:
        section = text.split(title, 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
            for raw in block.splitlines():
                command, _, comment = raw.partition("  #")
                if raw.startswith("#") and lines:
                    lines[-1].comment = lines[-1].comment or raw.lstrip("# ").strip()
                elif command.strip():
                    lines.append(Line(command.strip(), comment.strip()))
    return lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_extra(command: str) -> None:
    extra = re.search(r"\.\[(\w+)\]", command)
    assert extra, f"a pip line without an extra: {command}"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for requirement in extras[extra.group(1)]:
        module = {"azure-identity": "azure.identity"}.get(requirement.split("==")[0], requirement.split("==")[0])
        assert find_spec(module) is not None, f"{requirement} of [{extra.group(1)}] does not import"


def script(lines: list[Line], port: int, out: Path) -> str:
    parts = ["set -u", "trap 'kill $(jobs -p) 2>/dev/null' EXIT", f"export THINGS_URL=http://127.0.0.1:{port}"]
    for n, line in enumerate(lines):
        command = line.command.replace(f"--port {README_PORT}", f"--port {port}").replace(
            f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
        if command.endswith("&"):
            parts += [f"{command[:-1]} >'{out}/{n}' 2>&1 &", "echo 0 >" + f"'{out}/{n}.rc'",
                      f"for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
                      "sleep 0.1; done"]
        else:
            parts.append(f"{{ {command} ; }} >'{out}/{n}' 2>&1; echo $? >'{out}/{n}.rc'")
    return "\n".join(parts) + "\n"


def test_the_readme_tour_and_story_run_as_written(tmp_path: Path) -> None:
    lines = readme_lines()
    assert len(lines) >= 15, "the README's tour and story blocks were not found"
    for line in (line for line in lines if line.command.startswith("pip install")):
        _check_extra(line.command)
    lines = [line for line in lines if not line.command.startswith("pip install")]

    server = start_server(tmp_path / "data", "--demo")
    try:
        work, out = tmp_path / "reader", tmp_path / "out"
        work.mkdir()
        out.mkdir()
        (work / "examples").symlink_to(ROOT / "examples")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AZURE_", "IDENTITY_", "MSI_", "THINGS_"))}
        env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", "TENANTD_DATA": str(server.data)}
        subprocess.run(["bash", "-c", script(lines, _free_port(), out)], cwd=work, env=env, timeout=600, check=False)
        for n, line in enumerate(lines):
            output = (out / str(n)).read_text()
            reason = line.failure(output, int((out / f"{n}.rc").read_text()))
            assert reason is None, f"README line `{line.command}`: {reason}\n{output[-2000:]}"
    finally:
        server.stop()
