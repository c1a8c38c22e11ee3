"""wrk, the HTTP load generator (Debian's package): installed when missing, run with bounded time, parsed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).with_name("lua")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    """One wrk run: requests per second, latency percentiles (ms), and how many answers were not 2xx/3xx."""

    rps: float
    p50: float
    p99: float
    requests: int
    bad: int
    errors: int


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package (as root) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and could not be installed")
    return found


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    count = re.search(r"(\d+) requests in", output)
    if rate is None or count is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    rps, requests = float(rate.group(1)), int(count.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Load(rps, _ms(percentiles["50"]), _ms(percentiles["99"]), requests, int(bad.group(1)) if bad else 0,
                sum(int(n) for n in errors.groups()) if errors else 0)


def run(url: str, *, seconds: float, connections: int, threads: int = 2, form: str | None = None,
        headers: dict[str, str] | None = None, warmup: float = 1.0, script: str = "post_form.lua",
        script_env: dict[str, str] | None = None) -> Load:
    """Load ``url`` for ``seconds`` over ``connections`` keep-alive connections: GET, or POST of ``form``
    through ``script`` (in bench/lua, which reads ``form`` as BENCH_BODY and anything else from
    ``script_env``); after ``warmup`` seconds of the same load that are not counted (pools and caches filled)."""
    if warmup:
        run(url, seconds=warmup, connections=connections, threads=threads, form=form, headers=headers, warmup=0,
            script=script, script_env=script_env)
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, **(script_env or {}), "BENCH_THREADS": str(threads)}
    if form is not None:
        command += ["-s", str(LUA / script)]
        env["BENCH_BODY"] = form
    result = subprocess.run([*command, url], capture_output=True, text=True, env=env, timeout=seconds + 60,
                            check=True)
    return parse(result.stdout)
