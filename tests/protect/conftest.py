from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tenantd.protect import TokenValidator

from .idp import API_APP_ID, API_URI, Ca, Idp


class Clock:
    """An injectable clock: epoch seconds that move only when the test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Ca:
    return Ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def idp(ca: Ca) -> Iterator[Idp]:
    running = Idp(ca).start()
    yield running
    running.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
def make_validator(idp: Idp, ca: Ca, clock: Clock) -> Callable[..., TokenValidator]:
    """A validator of the test IdP's tenant for the API (App ID URI and appId), on the test clock."""
    def make(**settings: Any) -> TokenValidator:
        options: dict[str, Any] = {"tenant_id": idp.tenant, "audiences": [API_URI, API_APP_ID],
                                   "authority": idp.url, "verify": str(ca.ca_file), "clock": clock, "timeout": 1.0}
        return TokenValidator(**{**options, **settings})
    return make


@pytest.fixture
def validator(make_validator: Callable[..., TokenValidator]) -> TokenValidator:
    return make_validator()

