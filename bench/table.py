"""The result table: one row per comparison, tenantd next to the limit measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    name: str
    value: float | None           # tenantd's number (None: not measured; ``note`` says why)
    unit: str
    limit_name: str = ""
    limit: float | None = None
    target: str = ""              # the goal, e.g. ">= 60%"
    note: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.limit:
            return None
        return self.value / self.limit


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def render(self) -> str:
        head = ("measure", "ratio", "target", "tenantd", "limit (same run)", "note")
        lines = [head]
        for r in self.rows:
            ratio = "" if r.ratio is None else (f"{r.ratio:.0%}" if r.ratio < 10 else f"{r.ratio:.1f}x")
            if r.ratio is not None and r.target.startswith(">=") and r.target.endswith("x"):
                ratio = f"{r.ratio:.2f}x"
            mark = "" if r.met is None else (" ok" if r.met else " MISS")
            value = "n/a" if r.value is None else f"{_num(r.value)} {r.unit}"
            limit = f"{r.limit_name} {_num(r.limit)}" if r.limit is not None else r.limit_name
            lines.append((r.name, ratio, r.target + mark, value, limit, r.note))
        widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
        out = []
        for k, line in enumerate(lines):
            out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])) + "  " + line[-1])
            if k == 0:
                out.append("-" * (sum(widths) + 2 * len(widths) + 4))
        return "\n".join(line.rstrip() for line in out)


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
