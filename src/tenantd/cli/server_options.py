"""The options ``up`` and ``serve`` share, and the parsing of their values into what the server takes."""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING

import typer

from ..domain.errors import ConfigError
from .output import console

if TYPE_CHECKING:
    from ..runtime import RotationPolicy


ROTATION_DAYS_OPTION = typer.Option(
    30.0, "--key-rotation-days", help="Rotate the signing key when it has signed this long (0: only by hand).")
WORKERS_OPTION = typer.Option(1, "--workers", min=1, max=64, help="Worker processes serving both listeners "
                              "(they share the managed identity rate limits).")
IMDS_RATE_OPTION = typer.Option(20, "--imds-rate", help="Managed identity requests per second per host (0: off).")
IMDS_CONCURRENCY_OPTION = typer.Option(5, "--imds-concurrency", help="Concurrent requests per host (0: off).")
AUTH_FAILURE_OPTION = typer.Option(
    10, "--auth-failure-limit", help="Failed client authentications a minute per client and source address before "
    "that address gets 429 (0: off).")
AUTH_CLIENT_FAILURE_OPTION = typer.Option(
    100, "--auth-failure-client-limit", help="Failed authentications a minute per client from all addresses after "
    "which failing addresses get 429 at their third failure; addresses that have not failed never do (0: off).")
APP_TOKEN_MINUTES_OPTION = typer.Option(
    "60-90", "--app-token-minutes", help="Lifetime of app and user tokens: MIN-MAX (a random pick each, as Entra) "
    "or one number.")
MI_TOKEN_HOURS_OPTION = typer.Option(24.0, "--mi-token-hours", min=0.1, max=24.0,
                                     help="Lifetime of managed identity tokens (at most 24, as Azure's).")
MI_STALE_CACHE_OPTION = typer.Option(False, "--mi-stale-cache/--no-mi-stale-cache", help="Serve cached managed "
                                     "identity tokens until they expire even after a role changes, as Azure does.")
TRUSTED_PROXY_OPTION = typer.Option(
    None, "--trusted-proxy", metavar="ADDR[/PREFIX]", help="A proxy (repeatable) whose X-Forwarded-For names the "
    "client for throttling and the sign-in log; from anyone else the header is ignored (default: no proxy).")
HEAD_TIMEOUT_OPTION = typer.Option(
    10.0, "--head-timeout", min=0.1, metavar="SECONDS",
    help="Seconds from a request head's first byte to its end, else 408.")
IDLE_TIMEOUT_OPTION = typer.Option(
    5.0, "--idle-timeout", min=0.1, metavar="SECONDS",
    help="Seconds a connection may wait for a request's first byte, new or kept alive, before it is closed.")
METRICS_HOST_OPTION = typer.Option(
    "127.0.0.1", "--metrics-host", help="Address of the Prometheus listener (with --metrics-port); loopback unless "
    "widened on purpose.")
METRICS_PORT_OPTION = typer.Option(
    None, "--metrics-port", help="Serve Prometheus metrics at /metrics on this port, plain HTTP (0 picks a free "
    "one; default: not served).")
REFRESH_REUSE_OPTION = typer.Option(
    False, "--refresh-token-reuse-detection/--no-refresh-token-reuse-detection", help="Revoke every refresh token "
    "of a sign-in when one of them is used twice (Entra does not: a client retrying a refresh whose answer it lost "
    "signs its user out).")
LOG_FORMAT_OPTION = typer.Option("text", "--log-format", help="Server log lines: text, or json (one object a line).")
PUBLISH_MINUTES_OPTION = typer.Option(
    10.0, "--key-publish-minutes", help="Publish a new signing key this long before it signs (at least 5: the "
    "cooldown a validator may wait before fetching the JWKS again).")


def minutes_range(text: str) -> tuple[int, int]:
    """``60-90`` or ``75`` minutes as (shortest, longest) seconds."""
    low, _, high = text.partition("-")
    try:
        shortest, longest = float(low), float(high or low)
    except ValueError:
        raise ConfigError(f"--app-token-minutes takes MIN-MAX or one number of minutes, not '{text}'.") from None
    if not 5 <= shortest <= longest <= 1440:
        raise ConfigError(f"--app-token-minutes {text}: between 5 and 1440 minutes, the shorter first.")
    return int(shortest * 60), int(longest * 60)


def trusted_proxies(values: list[str] | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``--trusted-proxy`` values (an address or a network, ADDR/PREFIX) as networks."""
    networks = []
    for value in values or ():
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"--trusted-proxy '{value}' is not an IP address or network (ADDR or "
                              "ADDR/PREFIX).") from None
    return tuple(networks)


def log_format(value: str) -> str:
    if value not in ("text", "json"):
        raise ConfigError(f"--log-format takes text or json, not '{value[:32]}'.")
    return value


def metrics_socket(host: str, port: int | None) -> socket.socket | None:
    """The metrics listener's socket when ``--metrics-port`` asks for one, with a warning off loopback."""
    from .. import server

    if port is None:
        return None
    if not is_loopback(host):
        console().print(f"[yellow]warning:[/yellow] the metrics listener binds {host}: whoever reaches it sees "
                         "request rates, refusals and the tenant ids.")
    return server.bind(host, port)


def key_rotation(days: float, publish_minutes: float) -> RotationPolicy:
    """The signing key schedule from the command line, with a warning when it publishes too late."""
    from ..runtime import key_rotation as schedule

    policy = schedule(days, publish_minutes)
    if not policy.publishes_in_time:
        console().print(f"[yellow]warning:[/yellow] --key-publish-minutes {publish_minutes:g} is shorter than "
                         "the 5 minutes a validator may wait before fetching the JWKS again: right after a "
                         "rotation, some validators may reject the new key's tokens for a while.")
    return policy


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"
