"""apply of a tenant file of about a thousand objects through the CLI (the progress the long commands show
on a terminal is tested in tests/e2e/test_cli_progress.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from bench.bigfile import tenant_file

from ..support import Server


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
