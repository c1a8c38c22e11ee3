"""People signing in through a browser: which application asks, who the person is (her name and password,
or an account her browser session holds), and whether she may sign in to that application.

- The client is found as Entra finds it: in the tenant the request names; through ``common`` or
  ``organizations`` (or a multi-tenant application's appId at another tenant) in whichever tenant registered
  it. Microsoft's first-party public clients (the Azure CLI ...) are in every tenant.
- The person is looked up in the tenant the request names; through ``common`` or ``organizations``, in the
  tenant that verified her name's domain. Her password is checked as the password grant checks it (the
  lockouts and the bounded pool of ``passwords.py``): a wrong password and an unknown name are the same
  AADSTS50126 after the same work.
- She is admitted when her account is enabled, the application admits her tenant (``signInAudience``
  AzureADMyOrg: its own tenant only, AADSTS50020) and, where the application's service principal requires
  an assignment, she or one of her groups holds one (AADSTS50105, the password grant's role lookup).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ..domain import builtins
from ..domain.errors import OAuthError
from ..domain.ids import is_guid
from ..domain.model import Application, ImplicitGrantSettings, Tenant, User
from ..domain.sign_in_state import SessionAccount
from . import errors, signins
from . import sign_in_errors as page_errors
from .grants.password import password_expired
from .passwords import wrong_password
from .service import TokenService

MULTIPLE_ORGS = "AzureADMultipleOrgs"
INTERACTIVE = "interactive"   # the sign-in log's kind of a refusal on the sign-in page
MAX_LOGIN_NAME = 256
# The tenant the lockout counters file a name under when no tenant holds its domain (never a real tenant).
NO_TENANT = str(uuid.UUID(int=0))


@dataclass(frozen=True)
class Client:
    """The application a person signs in to, and where its answers may go (by platform)."""

    app_id: str
    display_name: str
    home_tenant_id: str | None           # None: a first-party application every tenant holds
    sign_in_audience: str
    web_redirect_uris: tuple[str, ...] = ()
    spa_redirect_uris: tuple[str, ...] = ()
    public_client_redirect_uris: tuple[str, ...] = ()
    implicit: ImplicitGrantSettings = field(default_factory=ImplicitGrantSettings)

    @property
    def multi_tenant(self) -> bool:
        """Whether people of any tenant may sign in (a first-party client, or AzureADMultipleOrgs)."""
        return self.home_tenant_id is None or self.sign_in_audience == MULTIPLE_ORGS

    def admits_tenant(self, tenant_id: str) -> bool:
        return self.multi_tenant or self.home_tenant_id == tenant_id


@dataclass(frozen=True)
class SignedIn:
    """A person who proved who she is, and when (``auth_time``, epoch seconds)."""

    user: User
    auth_time: int


def _client(app: Application) -> Client:
    return Client(app.app_id, app.display_name, app.tenant_id, app.sign_in_audience, app.web_redirect_uris,
                  app.spa_redirect_uris, app.public_client_redirect_uris, app.implicit_grant_settings)


def find_client(service: TokenService, tenant: Tenant | None, client_id: str) -> Client | None:
    """The application ``client_id`` names for a request to ``tenant`` (None: common or organizations)."""
    if not is_guid(client_id):
        return None
    app_id = client_id.lower()
    builtin = builtins.BUILTIN_BY_APP_ID.get(app_id)
    if builtin is not None:
        replies = ((service.public_url + builtins.PORTAL_REDIRECT_PATH,) if app_id == builtins.PORTAL_APP_ID
                   else builtin.reply_urls)
        return Client(app_id, builtin.name, None, MULTIPLE_ORGS,
                      public_client_redirect_uris=replies) if builtin.public_client else None
    with service.store.read() as tx:
        if tenant is not None:
            app = tx.application_by_app_id(tenant.id, app_id)
            if app is not None:
                return _client(app)
        for other in tx.tenants():
            app = tx.application_by_app_id(other.id, app_id)
            if app is not None and (tenant is None or app.multi_tenant):
                return _client(app)
    return None


def client_of_device_code(service: TokenService, app_id: str, tenant_id: str | None) -> Client:
    """The application a device code was asked for (it was found when the code was made)."""
    tenant = service.tenant(tenant_id) if tenant_id else None
    client = find_client(service, tenant, app_id)
    return client or Client(app_id, app_id, tenant_id, MULTIPLE_ORGS)


def tenant_of_name(service: TokenService, tenant: Tenant | None, login_name: str) -> str | None:
    """Where to look a person up: the tenant the request names, else the one that verified her domain."""
    if tenant is not None:
        return tenant.id
    domain = login_name.rpartition("@")[2]
    if not domain or len(login_name) > MAX_LOGIN_NAME:
        return None
    with service.store.read() as tx:
        found = tx.domain(domain)
    return found.tenant_id if found else None


def authenticate(service: TokenService, tenant: Tenant | None, login_name: str, password: str,
                 source: str | None, client: Client) -> SignedIn:
    """The person ``login_name`` names, when ``password`` is hers and she may sign in at all; else the
    OAuthError Entra answers (50126, 50053, 50057, 50055, or 429 when too many checks are under way), logged
    as an interactive sign-in's failure in the tenant her name leads to (none: nothing to log it in)."""
    name = login_name.strip()[:MAX_LOGIN_NAME]
    tenant_id = tenant_of_name(service, tenant, name) if "@" in name else None
    user = stored = None
    if tenant_id is not None:
        with service.store.read() as tx:
            user = tx.user(tenant_id, name)
            stored = tx.password_of(user.id) if user is not None else None
    try:
        service.password_checks.check(tenant_id or NO_TENANT, name, source, stored.hash if stored else None,
                                      password)
        if user is None or stored is None:   # the dummy hash matches no password: never reached
            raise wrong_password()
        if not user.account_enabled:
            raise errors.disabled_user(user.user_principal_name)
        if stored.force_change:
            raise password_expired()
    except OAuthError as exc:
        if tenant_id is not None:
            service.record(signins.SignIn(
                tenant_id, INTERACTIVE, service.clock(), app_id=client.app_id,
                principal_id=user.id if user else None, principal_name=user.user_principal_name if user else None,
                error_code=exc.aadsts, error=exc.description, client_ip=source))
        raise
    return SignedIn(user, int(service.clock()))


def admit(service: TokenService, client: Client, user: User) -> None:
    """Refuse ``user`` the application ``client`` as Entra would: 50057, 50020, 7000112 or 50105."""
    if not user.account_enabled:
        raise errors.disabled_user(user.user_principal_name)
    if not client.admits_tenant(user.tenant_id):
        raise page_errors.other_tenant_user(user.user_principal_name, user.tenant_id, client.app_id,
                                            client.display_name)
    with service.store.read() as tx:
        sp = tx.service_principal_by_app_id(user.tenant_id, client.app_id)
        if sp is None:
            return
        if not sp.account_enabled:
            raise errors.disabled_client(client.app_id)
        if sp.app_role_assignment_required and service.roles(tx, service.role_holders(tx, user), sp) is None:
            raise errors.user_not_assigned(user.user_principal_name, client.app_id)


def session_people(service: TokenService, accounts: tuple[SessionAccount, ...]) -> list[SignedIn]:
    """The people a browser session holds whose accounts still exist and are enabled, newest sign-in first
    (an account whose user was disabled, revoked or changed her password is no longer in the session)."""
    found = []
    with service.store.read() as tx:
        for account in accounts:
            user = tx.user(account.tenant_id, account.user_id)
            if user is not None and user.account_enabled:
                found.append(SignedIn(user, account.auth_time))
    return found


def signed_in(service: TokenService, tenant_id: str, user_id: str, auth_time: int) -> SignedIn | None:
    """The person a page's password proof names, if her account still exists and is enabled."""
    with service.store.read() as tx:
        user = tx.user(tenant_id, user_id)
    return SignedIn(user, auth_time) if user is not None and user.account_enabled else None
