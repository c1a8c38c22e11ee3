"""Prometheus metrics: what the token service, the sign-in log and the store count, and the scrape.

Code that counts calls :func:`instruments` each time (a cached lookup) rather than keeping what it returns:
:func:`share_between_processes` replaces the instruments, so that every worker of ``--workers N`` counts into
files of a directory every worker reads at a scrape (prometheus-client's multiprocess mode). Until then
(tests, the CLI) they count in memory. This package imports nothing else of tenantd, so every layer may use it.
"""

from .instruments import Instruments, instruments
from .processes import forget_process, share_between_processes, stop_sharing
from .scrape import CONTENT_TYPE, scrape

__all__ = ["CONTENT_TYPE", "Instruments", "forget_process", "instruments", "scrape", "share_between_processes",
           "stop_sharing"]
