"""The tenant file's error: every problem found in one file, reported together before anything is written."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.errors import TenantdError


class TenantFileError(TenantdError):
    """A file that cannot be applied. ``problems`` holds one line per problem, each naming where it is."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
