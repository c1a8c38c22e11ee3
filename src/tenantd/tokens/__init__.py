"""Token service core: keys, claims, grants. Returns plain data; the HTTP adapter renders it."""
