"""The long commands (apply, export, backup, restore) show their progress on stderr when it is a terminal,
and nothing of it when their output is piped: stdout holds only the command's own output either way."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bench.bigfile import tenant_file

from ..support import TENANTD, Server

ESCAPE = "\x1b"


@dataclass
class Run:
    returncode: int
    stdout: str
    terminal: str    # what the pseudo-terminal on stderr showed, escape sequences included


def on_terminal(command: list[str], tmp_path: Path) -> Run:
    """Run ``command`` with stderr on a pseudo-terminal and stdout to a file."""
    leader, follower = pty.openpty()
    stdout = tmp_path / "stdout"
    with stdout.open("wb") as out:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=follower,
                                env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:   # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return Run(proc.wait(timeout=300), stdout.read_text(), shown.decode("utf-8", "replace"))


def piped(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("progress") / "big.yaml"
    file.write_text(yaml.safe_dump(tenant_file(200), sort_keys=False))
    return file


def test_apply_shows_its_steps_on_a_terminal_only(server: Server, big_file: Path, tmp_path: Path) -> None:
    apply = [*TENANTD, "--data", str(server.data), "apply", str(big_file)]
    shown = on_terminal(apply, tmp_path)
    assert shown.returncode == 0, shown.terminal
    assert "checking big.yaml" in shown.terminal and "applying big.yaml" in shown.terminal
    assert "changes" in shown.stdout and ESCAPE not in shown.stdout and "applying" not in shown.stdout
    again = piped(apply)
    assert again.returncode == 0 and again.stdout.strip() == "no changes" and again.stderr == ""


def test_export_counts_entries_on_a_terminal_only(server: Server, big_file: Path, tmp_path: Path) -> None:
    server.cli("apply", str(big_file), check=True, timeout=300)
    out = tmp_path / "export.yaml"
    export = [*TENANTD, "--data", str(server.data), "export", "-o", str(out)]
    shown = on_terminal(export, tmp_path)
    assert shown.returncode == 0, shown.terminal
    document = yaml.safe_load(out.read_text())
    entries = 1 + sum(len(document[s]) for s in ("applications", "managedIdentities", "users", "groups",
                                                 "assignments"))
    assert "exporting" in shown.terminal and f"{entries}/{entries}" in shown.terminal, entries
    assert "wrote the tenant file" in shown.terminal and shown.stdout == ""
    to_stdout = piped([*TENANTD, "--data", str(server.data), "export"])
    assert to_stdout.returncode == 0 and to_stdout.stderr == ""
    assert to_stdout.stdout == out.read_text()    # the document and nothing else


def test_backup_and_restore_count_rows_on_a_terminal_only(server: Server, big_file: Path, tmp_path: Path) -> None:
    server.cli("apply", str(big_file), check=True, timeout=300)
    file = tmp_path / "tenantd.backup"
    backup = on_terminal([*TENANTD, "--data", str(server.data), "backup", str(file)], tmp_path)
    assert backup.returncode == 0, backup.terminal
    written = re.search(r"backup written to .*: (\d+) rows", backup.stdout)
    assert written and int(written.group(1)) > 500, backup.stdout   # more than one batch
    rows = written.group(1)
    assert "backing up rows" in backup.terminal and f"{rows}/{rows}" in backup.terminal
    assert ESCAPE not in backup.stdout

    restore = on_terminal([*TENANTD, "restore", str(file), "--data", str(tmp_path / "restored")], tmp_path)
    assert restore.returncode == 0, restore.terminal
    assert f"restored {rows} rows" in restore.stdout and ESCAPE not in restore.stdout
    assert "restoring rows" in restore.terminal and f"{rows}/{rows}" in restore.terminal

    again = piped([*TENANTD, "--data", str(server.data), "backup", str(file)])
    assert again.returncode == 0 and again.stderr == "" and "backing up" not in again.stdout
    restored = piped([*TENANTD, "restore", str(file), "--data", str(tmp_path / "restored-piped")])
    assert restored.returncode == 0 and restored.stderr == "" and "restoring rows" not in restored.stdout
