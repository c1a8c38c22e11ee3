"""A large tenant file: applications (every tenth an API with a role), users, groups of users, and
assignments of the APIs' roles to the other applications, so ``apply`` has every kind of change to make.

    python -m bench.bigfile OBJECTS > tenant.yaml
"""

from __future__ import annotations

import sys
from typing import Any

import yaml


def tenant_file(objects: int) -> dict[str, Any]:
    """About ``objects`` entries: 30% applications, 30% users, 5% groups, the rest assignments."""
    apps, users, groups = objects * 3 // 10, objects * 3 // 10, max(1, objects // 20)
    assignments = max(0, objects - apps - users - groups)
    apis = list(range(0, apps, 10))
    clients = [i for i in range(apps) if i % 10]

    def app(i: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"displayName": f"file-app-{i:05d}", "identifierUris": [f"api://file-app-{i:05d}"]}
        if i % 10 == 0:
            entry["appRoles"] = [{"allowedMemberTypes": ["Application", "User"], "displayName": "Read",
                                  "id": f"{i:08x}-f11e-4000-8000-000000000001", "isEnabled": True,
                                  "description": "Read.", "value": "Data.Read"}]
        return entry

    return {
        "applications": [app(i) for i in range(apps)],
        "users": [{"userPrincipalName": f"fileuser{i:05d}@bench.test", "displayName": f"File user {i:05d}"}
                  for i in range(users)],
        "groups": [{"displayName": f"file-group-{g:04d}",
                    "members": [f"fileuser{u:05d}@bench.test" for u in range(g, users, groups)][:20]}
                   for g in range(groups)],
        "assignments": [{"principal": f"file-app-{clients[k % len(clients)]:05d}",
                         "resource": f"file-app-{apis[(k // len(clients)) % len(apis)]:05d}", "role": "Data.Read"}
                        for k in range(min(assignments, len(clients) * len(apis)))],
    }


def main() -> None:
    sys.stdout.write(yaml.safe_dump(tenant_file(int(sys.argv[1])), sort_keys=False, width=120))


if __name__ == "__main__":
    main()
