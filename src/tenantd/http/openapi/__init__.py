"""The OpenAPI 3.1 document of the Graph v1.0 API as tenantd serves it, built from the tables in this package.

It is served at ``/_tenantd/openapi.json`` (no token needed: it holds no tenant data). The tables name every
path and method that ``graph/routes.py`` mounts under /v1.0, the JSON shape of every resource as
``graph/serialize.py`` writes it, and the permissions from ``graph/access.py``; tests compare the paths
with the mounted routes and the property names with the serializers, and fuzz the live API against the
document, so a change to one that is not made to the other fails.
"""

from .document import document, serve
from .schemas import RESOURCES, Resource

__all__ = ["RESOURCES", "Resource", "document", "serve"]
