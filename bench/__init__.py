"""Benchmarks of tenantd against the limits of the machine they run on, measured in the same run.

``make bench`` (``python -m bench.run``) prints the table; ``python -m bench.populate`` fills a data
directory with a large tenant. See README.md.
"""
