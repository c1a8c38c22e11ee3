"""Export streams: the large path yields the same document as the whole one, and the CLI's writers and the
server's JSON stream write exactly the text of dumping the whole document."""

from __future__ import annotations

import json
from typing import Any

from tenantd.cli.tenantfile import _JsonWriter, _YamlWriter
from tenantd.http.admin_tenantfile import _document
from tenantd.runtime import Runtime
from tenantd.tenantfile import export_tenant
from tenantd.tenantfile.export import SECTIONS, as_yaml, stream_tenant

from ..tenantfile.test_export import busy_tenant


def rebuilt(items: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {section: [] for section in SECTIONS}
    for section, value in items:
        if section == "tenant":
            document = {"tenant": value, **document}
        elif section != "total":
            document[section].append(value)
    return document


def test_the_streamed_export_of_a_large_tenant_is_the_whole_export(rt: Runtime, tenant_id: str) -> None:
    busy_tenant(rt, tenant_id)
    whole = export_tenant(rt.store, tenant_id)
    streamed = list(stream_tenant(rt.store, tenant_id, small=0))   # every tenant counts as large
    assert streamed[0][0] == "total" and streamed[1] == ("tenant", whole["tenant"])
    assert rebuilt(streamed) == whole
    sections = [s for s, _ in streamed[2:]]
    assert sections == sorted(sections, key=SECTIONS.index)        # each section's entries in a row
    assert rebuilt(list(stream_tenant(rt.store, tenant_id))) == whole


def test_the_writers_write_the_text_of_the_whole_document(rt: Runtime, tenant_id: str) -> None:
    busy_tenant(rt, tenant_id)
    whole = export_tenant(rt.store, tenant_id)
    for document in (whole, {**whole, "users": [], "managedIdentities": []}, {**whole, "assignments": []},
                     {"tenant": whole["tenant"], **{s: [] for s in SECTIONS}}):
        items = [("tenant", document["tenant"])] + [(s, e) for s in SECTIONS for e in document[s]]
        yaml_writer, json_writer = _YamlWriter(), _JsonWriter()
        streamed = "".join(yaml_writer.write(s, v) for s, v in items) + yaml_writer.close()
        as_json = "".join(json_writer.write(s, v) for s, v in items) + json_writer.close()
        assert streamed == as_yaml(document)
        assert as_json == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        assert json.loads("".join(_document(iter(items)))) == document
