"""The ``tenantd`` command line. Only this package imports typer and rich."""
