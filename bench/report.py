"""Render results saved by `run.py --json` as the Markdown tables of bench/README.md.

python bench/report.py /tmp/bench/r_sqlite.json /tmp/bench/r_postgres.json
"""

import json
import sys
from pathlib import Path


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def markdown(report: dict) -> str:
    c = report["context"]
    lines = [
        f"**{c['articles']:,} articles on {c['engine']}**, commit `{c['commit']}`, "
        f"{report['connections']} connections, {report['duration_s']:g} s per scenario, "
        f"load average {c['load_before']:.1f} before and {c['load_after']:.1f} after.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | × bare | errors | what |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        what = r["what"] + (f" ({r['note']})" if r["note"] else "")
        lines.append(
            f"| {r['scenario']} | {_num(r['rps'], ',.0f')} | {_num(r['p50_ms'], '.1f')} | "
            f"{_num(r['p99_ms'], '.1f')} | {_num(r['ratio'], '.2f')} | "
            f"{'' if r['errors'] is None else r['errors']} | {what} |"
        )
    memory = ", ".join(
        f"{name} {m['rss_mb']:.0f} MB (peak {m['peak_mb']:.0f} MB; "
        f"{m.get('anon_mb', 0):.0f} MB its own, the rest mapped database pages)"
        for name, m in report["memory"].items()
    )
    lines += ["", f"Resident memory per worker after the run: {memory}."]
    return "\n".join(lines)


if __name__ == "__main__":
    print("\n\n".join(markdown(json.loads(Path(p).read_text())) for p in sys.argv[1:]))
