"""``up``, ``serve`` and ``migrate``: the commands that run against the store directly, not over HTTPS."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ..domain import azure_cloud
from ..domain.errors import ConfigError
from .context import Options
from .server_options import (
    APP_TOKEN_MINUTES_OPTION,
    AUTH_CLIENT_FAILURE_OPTION,
    AUTH_FAILURE_OPTION,
    HEAD_TIMEOUT_OPTION,
    IDLE_TIMEOUT_OPTION,
    IMDS_CONCURRENCY_OPTION,
    IMDS_RATE_OPTION,
    LOG_FORMAT_OPTION,
    METRICS_HOST_OPTION,
    METRICS_PORT_OPTION,
    MI_STALE_CACHE_OPTION,
    MI_TOKEN_HOURS_OPTION,
    PUBLISH_MINUTES_OPTION,
    REFRESH_REUSE_OPTION,
    ROTATION_DAYS_OPTION,
    TRUSTED_PROXY_OPTION,
    WORKERS_OPTION,
    is_loopback,
    key_rotation,
    log_format,
    metrics_socket,
    minutes_range,
    trusted_proxies,
)

if TYPE_CHECKING:
    from ..runtime import Runtime
    from ..tls import CertificateFiles

# The server stack (SQLAlchemy, Starlette, uvicorn) is imported inside the commands that run it, so that
# every other command starts in a fraction of the time.


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _az_line(base: str) -> str:
    arm = azure_cloud.default_arm_url(base)
    where = f"Resource Manager at {arm}" if arm else "pass --arm-url: Resource Manager needs a second origin"
    return f'eval "$(tenantd az)", then az login ({where})'


def _ca_bundle(data_dir: Path, ca_cert: Path) -> Path:
    """The system's CAs plus tenantd's, for clients that take one bundle (requests, SSL_CERT_FILE)."""
    paths = ssl.get_default_verify_paths()
    system = Path(paths.cafile or paths.openssl_cafile or "/etc/ssl/certs/ca-certificates.crt")
    bundle = data_dir / "ca-bundle.pem"
    system_pem = system.read_bytes() if system.exists() else b""
    bundle.write_bytes(system_pem.rstrip(b"\n") + b"\n" + ca_cert.read_bytes())
    return bundle


def up(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8443, "--port", help="HTTPS port (0 picks a free one)."),
    public_url: str = typer.Option(None, "--public-url", help="Public base URL (default https://localhost:<port>)."),
    database: str = typer.Option(None, "--database", help="Database URL (default: SQLite in the data directory)."),
    demo: bool = typer.Option(False, "--demo", help="Load the demo tenant (Things API, identities, grants)."),
    tenant_name: str = typer.Option("default", "--tenant-name", help="Name of the default tenant on first start."),
    identity_port: int = typer.Option(8480, "--identity-port", help="Managed identity port (0 picks a free one)."),
    identity_host: str = typer.Option("127.0.0.1", "--identity-host",
                                      help="Managed identity listener address; loopback unless widened on purpose."),
    imds_rate: int = IMDS_RATE_OPTION,
    imds_concurrency: int = IMDS_CONCURRENCY_OPTION,
    workers: int = WORKERS_OPTION,
    log_level: str = typer.Option("warning", "--log-level", help="Server log level."),
    rotation_days: float = ROTATION_DAYS_OPTION,
    publish_minutes: float = PUBLISH_MINUTES_OPTION,
    loopback_issuers: bool = typer.Option(True, "--allow-loopback-issuers/--no-allow-loopback-issuers",
                                          help="Let federated credentials trust issuers on loopback addresses."),
    plain_http: bool = typer.Option(False, "--plain-http", help="Serve plain HTTP instead of HTTPS, behind a "
                                    "TLS-terminating proxy (pass its address as --public-url https://...)."),
    auth_failures: int = AUTH_FAILURE_OPTION,
    auth_client_failures: int = AUTH_CLIENT_FAILURE_OPTION,
    app_token_minutes: str = APP_TOKEN_MINUTES_OPTION,
    mi_token_hours: float = MI_TOKEN_HOURS_OPTION,
    mi_stale_cache: bool = MI_STALE_CACHE_OPTION,
    trusted_proxy: list[str] = TRUSTED_PROXY_OPTION,
    head_timeout: float = HEAD_TIMEOUT_OPTION,
    idle_timeout: float = IDLE_TIMEOUT_OPTION,
    metrics_host: str = METRICS_HOST_OPTION,
    metrics_port: int = METRICS_PORT_OPTION,
    log_format_name: str = LOG_FORMAT_OPTION,
    refresh_reuse_detection: bool = REFRESH_REUSE_OPTION,
) -> None:
    """Start tenantd in the foreground on its embedded store, with a default tenant and admin app."""
    from .. import bootstrap, server
    from ..runtime import auth_throttle, open_runtime, sqlite_url
    from ..tls import TlsFiles

    proxies = trusted_proxies(trusted_proxy)
    logs = log_format(log_format_name)
    opts: Options = ctx.obj
    data_dir = opts.data
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    _warn_identity_host(identity_host)
    policy = key_rotation(rotation_days, publish_minutes)
    sock = server.bind(host, port)
    identity_sock = server.bind(identity_host, identity_port)
    metrics_sock = metrics_socket(metrics_host, metrics_port)
    bound_port = sock.getsockname()[1]
    scheme = "http" if plain_http else "https"
    try:
        rt = open_runtime(database or sqlite_url(data_dir), data_dir, public_url,
                          default_public_url=f"{scheme}://localhost:{bound_port}", key_rotation=policy,
                          allow_loopback_issuers=loopback_issuers,
                          auth_throttle=auth_throttle(auth_failures, auth_client_failures),
                          app_token_lifetime=minutes_range(app_token_minutes),
                          refresh_reuse_detection=refresh_reuse_detection)
    except Exception:
        for opened in (sock, identity_sock, metrics_sock):
            if opened is not None:
                opened.close()
        raise
    tenant = bootstrap.default_tenant(rt, tenant_name)
    bootstrap.ensure_builtins(rt)
    creds = bootstrap.admin_credentials(rt, tenant, data_dir)
    if demo:
        from ..tenantfile.demo import load_demo

        load_demo(rt, tenant.id, data_dir)
    public_host = rt.public_url.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
    tls = TlsFiles(rt.vault, rt.store, [public_host, host], server.tls_dir(data_dir))
    bundle = _ca_bundle(data_dir, tls.ca_cert)
    server_file = data_dir / "server.json"
    base = rt.public_url
    info = {
        "url": base, "tenant_id": tenant.id, "tenant_name": tenant.name, "ca_cert": str(tls.ca_cert.resolve()),
        "ca_bundle": str(bundle.resolve()), "admin_client_id": creds.client_id,
        "admin_client_secret": creds.client_secret, "pid": os.getpid(), "workers": workers,
        "discovery": f"{base}/{tenant.id}/v2.0/.well-known/openid-configuration",
        "portal": f"{base}/portal/{tenant.id}",
        "listen": f"{scheme}://{_url_host(host)}:{bound_port}",
        "identity_url": f"http://{_url_host(identity_host)}:{identity_sock.getsockname()[1]}",
    }
    if metrics_sock is not None:
        info["metrics_url"] = f"http://{_url_host(metrics_host)}:{metrics_sock.getsockname()[1]}/metrics"

    def ready() -> None:
        bootstrap.write_private_json(server_file, info)
        out = _console()
        out.print(f"[bold green]tenantd is up[/bold green] (Ctrl-C stops it)\n"
                  f"  tenant       {tenant.name} ({tenant.id})\n"
                  f"  {scheme.upper():<12} {base}\n"
                  f"  discovery    {info['discovery']}\n"
                  f"  portal       {info['portal']} (sign in as a user of the tenant)\n"
                  f"  admin app    {creds.client_id}\n"
                  f"  credentials  {(data_dir / bootstrap.CREDENTIALS_FILE).resolve()} (mode 0600; the directory "
                  f"stores only a hash)\n"
                  f"  CA cert      {tls.ca_cert.resolve()}\n"
                  f"  identity     {info['identity_url']} (managed identity endpoints; `tenantd run --as ...`)\n"
                  + (f"  metrics      {info['metrics_url']}\n" if metrics_sock is not None else "") +
                  f"  Azure CLI    {_az_line(base)}\n"
                  f"Environment for clients:\n"
                  f"  export AZURE_TENANT_ID={tenant.id}\n"
                  f"  export AZURE_AUTHORITY_HOST={base}\n"
                  f"  export REQUESTS_CA_BUNDLE={bundle.resolve()}\n"
                  f"  export SSL_CERT_FILE={bundle.resolve()}\n"
                  f"  export NODE_EXTRA_CA_CERTS={bundle.resolve()}")

    try:
        server.run_server(rt, sock, None if plain_http else tls.certificate, identity_sock, ready, log_level=log_level,
                          imds_limits=(imds_rate, imds_concurrency), workers=workers,
                          mi_token_lifetime=int(mi_token_hours * 3600), mi_stale_cache=mi_stale_cache,
                          trusted_proxies=proxies, timeouts=server.Timeouts(head_timeout, idle_timeout),
                          metrics_listener=metrics_sock, log_format=logs)
    except server.WorkerFailed as exc:
        raise ConfigError(str(exc)) from None
    finally:
        server_file.unlink(missing_ok=True)
        _console().print("tenantd stopped")


def _warn_identity_host(identity_host: str) -> None:
    if not is_loopback(identity_host):
        _console().print(f"[yellow]warning:[/yellow] the managed identity listener binds {identity_host}: any "
                         "host that reaches it and knows a host secret can get that host's tokens.")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(
    database: str = typer.Option(..., "--database", envvar="TENANTD_DATABASE", help="postgresql://... or sqlite:///..."),
    public_url: str = typer.Option(None, "--public-url", help="Public base URL; stored for every replica."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8443, "--port"),
    tls_dir: str = typer.Option(None, "--tls-dir", help="Where to write the local CA's TLS files (default: a temp "
                                "dir)."),
    tls_cert: Path = typer.Option(None, "--tls-cert", help="Serve this certificate (PEM chain, leaf first) instead of "
                                  "one from the local CA; read again on SIGHUP."),
    tls_key: Path = typer.Option(None, "--tls-key", help="The unencrypted PEM private key of --tls-cert."),
    plain_http: bool = typer.Option(False, "--plain-http", help="Serve plain HTTP instead of HTTPS, behind a "
                                    "TLS-terminating proxy (its address as --public-url https://...)."),
    log_level: str = typer.Option("warning", "--log-level"),
    rotation_days: float = ROTATION_DAYS_OPTION,
    publish_minutes: float = PUBLISH_MINUTES_OPTION,
    loopback_issuers: bool = typer.Option(False, "--allow-loopback-issuers/--no-allow-loopback-issuers",
                                          help="Let federated credentials trust issuers on loopback addresses."),
    identity_port: int = typer.Option(None, "--identity-port", help="Serve the managed identity endpoints on "
                                      "this port too (0 picks a free one; default: not served)."),
    identity_host: str = typer.Option("127.0.0.1", "--identity-host",
                                      help="Managed identity listener address; loopback unless widened on purpose."),
    imds_rate: int = IMDS_RATE_OPTION,
    imds_concurrency: int = IMDS_CONCURRENCY_OPTION,
    workers: int = WORKERS_OPTION,
    auth_failures: int = AUTH_FAILURE_OPTION,
    auth_client_failures: int = AUTH_CLIENT_FAILURE_OPTION,
    app_token_minutes: str = APP_TOKEN_MINUTES_OPTION,
    mi_token_hours: float = MI_TOKEN_HOURS_OPTION,
    mi_stale_cache: bool = MI_STALE_CACHE_OPTION,
    trusted_proxy: list[str] = TRUSTED_PROXY_OPTION,
    head_timeout: float = HEAD_TIMEOUT_OPTION,
    idle_timeout: float = IDLE_TIMEOUT_OPTION,
    metrics_host: str = METRICS_HOST_OPTION,
    metrics_port: int = METRICS_PORT_OPTION,
    log_format_name: str = LOG_FORMAT_OPTION,
    refresh_reuse_detection: bool = REFRESH_REUSE_OPTION,
) -> None:
    """Run a stateless replica on a shared database that `tenantd init` set up (master key from
    TENANTD_MASTER_KEY). SIGHUP reloads the certificate of --tls-cert."""
    from .. import server
    from ..runtime import auth_throttle, database_holds_tenant, open_runtime

    proxies = trusted_proxies(trusted_proxy)
    certificate = _operator_certificate(tls_cert, tls_key, tls_dir, plain_http)
    logs = log_format(log_format_name)
    if identity_port is not None:
        _warn_identity_host(identity_host)
    policy = key_rotation(rotation_days, publish_minutes)
    if not database_holds_tenant(database):   # before anything is written into it
        raise ConfigError("This database holds no tenant: set it up once with `tenantd init --database ... "
                          "--public-url ...`, then start the replicas.")
    sock = server.bind(host, port)
    identity_sock = server.bind(identity_host, identity_port) if identity_port is not None else None
    metrics_sock = metrics_socket(metrics_host, metrics_port)
    try:
        rt = open_runtime(database, None, public_url, key_rotation=policy, allow_loopback_issuers=loopback_issuers,
                          auth_throttle=auth_throttle(auth_failures, auth_client_failures),
                          app_token_lifetime=minutes_range(app_token_minutes),
                          refresh_reuse_detection=refresh_reuse_detection)
    except Exception:
        for opened in (sock, identity_sock, metrics_sock):
            if opened is not None:
                opened.close()
        raise
    if certificate is None and not plain_http:
        certificate, trust = _local_ca_certificate(rt, host, tls_dir)
    else:
        trust = f"certificate: {certificate.cert_file}" if certificate else "plain HTTP"
    with rt.store.read() as tx:
        tenant = tx.setting("default_tenant")
    listen = f"{'http' if plain_http else 'https'}://{_url_host(host)}:{sock.getsockname()[1]}"
    identity = (f"; managed identity on http://{_url_host(identity_host)}:{identity_sock.getsockname()[1]}"
                if identity_sock is not None else "")
    metrics = (f"; metrics on http://{_url_host(metrics_host)}:{metrics_sock.getsockname()[1]}/metrics"
               if metrics_sock is not None else "")

    def ready() -> None:
        _console().print(f"tenantd replica serving {rt.public_url} (tenant {tenant}) on {listen} ({trust})"
                         f"{identity}{metrics}", markup=False)

    try:
        server.run_server(rt, sock, certificate, identity_sock, ready, log_level=log_level,
                          imds_limits=(imds_rate, imds_concurrency), workers=workers,
                          mi_token_lifetime=int(mi_token_hours * 3600), mi_stale_cache=mi_stale_cache,
                          trusted_proxies=proxies, timeouts=server.Timeouts(head_timeout, idle_timeout),
                          metrics_listener=metrics_sock, log_format=logs)
    except server.WorkerFailed as exc:
        raise ConfigError(str(exc)) from None


def _operator_certificate(cert: Path | None, key: Path | None, tls_dir: str | None,
                          plain_http: bool) -> CertificateFiles | None:
    """The operator's certificate of ``serve --tls-cert/--tls-key``, checked before the replica starts."""
    from ..tls import CertificateFiles

    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("--tls-cert and --tls-key go together: the certificate chain and its private key.")
    if plain_http or tls_dir:
        raise ConfigError(f"--tls-cert serves your certificate: it goes with neither "
                          f"{'--plain-http' if plain_http else '--tls-dir'} (the local CA's).")
    certificate = CertificateFiles(cert.resolve(), key.resolve(), reloadable=True)
    certificate.check()
    return certificate


def _local_ca_certificate(rt: Runtime, host: str, tls_dir: str | None) -> tuple[CertificateFiles, str]:
    """A certificate from the local CA (shared by the replicas through the database), and what to trust."""
    from ..tls import TlsFiles

    public_host = rt.public_url.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
    tls = TlsFiles(rt.vault, rt.store, [public_host, host], Path(tls_dir) if tls_dir else None)
    return tls.certificate, f"CA: {tls.ca_cert}"


def migrate_cmd(
    ctx: typer.Context,
    database: str = typer.Option(None, "--database", envvar="TENANTD_DATABASE", help="Database URL."),
    migrations: Path = typer.Option(None, "--migrations", exists=True, file_okay=False, help="An Alembic folder "
                                    "holding tenantd's migrations and later ones, to rehearse an upgrade "
                                    "(default: this version's own)."),
) -> None:
    """Upgrade the database schema to this version of tenantd."""
    from ..runtime import sqlite_url
    from ..store import Store
    from ..store.migrate import migrate

    opts: Options = ctx.obj
    if database is None:
        opts.data.mkdir(parents=True, exist_ok=True)
    store = Store(database or sqlite_url(opts.data))
    try:
        before, after = migrate(store, folder=migrations)
    except Exception as exc:
        raise ConfigError(f"Migration failed: {exc}") from exc
    finally:
        store.dispose()
    _console().print("schema already current" if before == after else f"schema migrated {before or 'empty'} -> {after}")


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("serve")(serve)
    app.command("migrate")(migrate_cmd)
