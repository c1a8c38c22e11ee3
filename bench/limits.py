"""The machine's own limit for the work a token costs: raw RS256 signing with
``cryptography``, one process per core, with the key tenantd signs with."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def signing_key_pem(data: Path, tenant_id: str) -> bytes:
    """The tenant's active signing key, read the way tenantd reads it (the master key in ``data``)."""
    from tenantd.runtime import open_runtime, sqlite_url

    rt = open_runtime(sqlite_url(data), data, None)
    try:
        key = rt.tokens.keyring.active(tenant_id).private_key
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    finally:
        rt.store.dispose()


def _sign_loop(pem: bytes, message: bytes, seconds: float, out: multiprocessing.Queue[int]) -> None:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(20):
            key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 20
    out.put(count)


def signing_rate(pem: bytes, message: bytes, seconds: float, processes: int | None = None) -> float:
    """RS256 signatures per second with one process per core (the key loaded once per process)."""
    workers = processes or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[int] = context.Queue()
    procs = [context.Process(target=_sign_loop, args=(pem, message, seconds, out)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    counts = [out.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join()
    return sum(counts) / seconds

