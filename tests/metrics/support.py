"""Scraping a server's /metrics and reading its samples."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ..support import Server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: Server) -> tuple[Samples, set[str]]:
    """Every sample by (name, labels), and the names of the families the scrape declared."""
    answer = httpx.get(server.info["metrics_url"], timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    families: set[str] = set()
    for family in text_string_to_metric_families(answer.text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, families


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, grant: str, endpoint: str, result: int) -> float:
    return value(samples, "tenantd_token_requests_total", grant=grant, endpoint=endpoint, result=str(result))


def answered(samples: Samples, grant: str, endpoint: str) -> float:
    """Requests the latency histogram counted."""
    return value(samples, "tenantd_token_request_duration_seconds_count", grant=grant, endpoint=endpoint)
