"""HTTP adapters: parse requests, call the core, render results. Only this package imports Starlette."""
