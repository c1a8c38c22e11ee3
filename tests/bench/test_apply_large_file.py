"""apply of a tenant file of about a thousand objects through the CLI, and the progress the long commands
show on a terminal (and only there)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import yaml
from bench.bigfile import tenant_file

from ..support import TENANTD, Server


def test_a_thousand_object_file_applies_and_applies_again_as_no_change(fresh_server: Server, tmp_path: Path) -> None:
    document = tenant_file(1_000)
    file = tmp_path / "big.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False))
    first = fresh_server.cli("apply", str(file), "--json", timeout=600)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    apps, users, groups = (len(document[k]) for k in ("applications", "users", "groups"))
    members = sum(len(g["members"]) for g in document["groups"])
    assert result["applied"] and len(result["changes"]) == 2 * apps + users + groups + members + len(
        document["assignments"])   # each application and its service principal
    assert first.stderr == ""   # --json: no progress, nothing but the JSON
    rt = fresh_server.runtime()
    try:
        tid = fresh_server.tenant_id
        api = rt.directory.service_principal_by_app_id(
            tid, next(a.app_id for a in rt.directory.applications(tid) if a.display_name == "file-app-00000"))
        assert len(rt.directory.assignments_to(tid, api.id)) == sum(
            1 for a in document["assignments"] if a["resource"] == "file-app-00000")
    finally:
        rt.store.dispose()
    again = fresh_server.cli("apply", str(file), "--json", timeout=600)
    assert again.returncode == 0 and json.loads(again.stdout)["changes"] == []


def test_export_shows_progress_on_a_terminal_only(fresh_server: Server, tmp_path: Path) -> None:
    out = tmp_path / "export.yaml"
    command = [*TENANTD, "--data", str(fresh_server.data), "export", "-o", str(out)]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
                            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    assert b"wrote the tenant file" in shown and yaml.safe_load(out.read_text())["tenant"]["id"] == \
        fresh_server.tenant_id
    assert b"exporting" in shown   # the bar, drawn on the terminal and cleared
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert piped.returncode == 0 and "exporting" not in piped.stderr
