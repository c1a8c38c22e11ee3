"""Microsoft Graph v1.0 compatible API under /v1.0."""
