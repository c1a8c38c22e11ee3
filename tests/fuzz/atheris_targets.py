"""Coverage-guided fuzzing with atheris (libFuzzer) of the parsers the hypothesis tests also cover, each held
to the same contract: its own refusal, never another exception. Run by `make fuzz` when atheris is installed
(`pip install -e '.[fuzz]'`):

    python -m tests.fuzz.atheris_targets TARGET [libFuzzer flags, e.g. -max_total_time=60 -timeout=5]

TARGET is one of: form, odata, logfilter, tenantfile, jws. A crash stops the run and writes the input that
caused it (to .fuzz/ under `make fuzz`, which keeps each target's corpus there too); so does a hang longer
than -timeout seconds.
"""

from __future__ import annotations

import base64
import contextlib
import sys
from collections.abc import Callable

import atheris

from tenantd.domain.errors import BadRequest, OAuthError
from tenantd.http import sts
from tenantd.http.graph import audit, odata, serialize
from tenantd.protect import compact
from tenantd.protect.errors import InvalidToken
from tenantd.tenantfile import TenantFileError, load_text


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def form(data: bytes) -> None:
    with contextlib.suppress(OAuthError):
        sts.parse_form(data)
    with contextlib.suppress(OAuthError):
        sts.parse_basic("Basic " + data.decode("latin-1"))


def odata_filter(data: bytes) -> None:
    text = _text(data)
    try:
        node = odata.bind(odata.parse_filter(text), serialize.SERVICE_PRINCIPAL)
    except BadRequest:
        return
    odata.matches(node, {"displayName": "x", "servicePrincipalNames": ["api://x"], "accountEnabled": True})


def log_filter(data: bytes) -> None:
    with contextlib.suppress(BadRequest):
        audit.parse_filter(_text(data))


def tenantfile(data: bytes) -> None:
    with contextlib.suppress(TenantFileError):
        load_text(_text(data), "fuzz.yaml")


def jws(data: bytes) -> None:
    """Raw text half the time; otherwise parts that are base64url of fuzzed bytes (so JSON and the header
    checks are reached)."""
    fuzzed = atheris.FuzzedDataProvider(data)
    if fuzzed.ConsumeBool():
        token = fuzzed.ConsumeUnicodeNoSurrogates(len(data))
    else:
        sizes = [fuzzed.ConsumeIntInRange(0, 200) for _ in range(fuzzed.ConsumeIntInRange(1, 5))]
        token = ".".join(base64.urlsafe_b64encode(fuzzed.ConsumeBytes(n)).rstrip(b"=").decode() for n in sizes)
    with contextlib.suppress(InvalidToken):
        compact.parse(token)


TARGETS: dict[str, Callable[[bytes], None]] = {"form": form, "odata": odata_filter, "logfilter": log_filter,
                                               "tenantfile": tenantfile, "jws": jws}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.atheris_targets {{{','.join(TARGETS)}}} [libFuzzer flags]")
    target = TARGETS[sys.argv[1]]
    atheris.instrument_all()   # the editable install's import hook hides modules from instrument_imports()
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
