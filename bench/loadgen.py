"""Driving wrk: one bounded run, its output parsed, and the Lua scripts the scenarios need."""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_LATENCY = re.compile(r"^\s*(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (the Debian package)")
    return path


@dataclass
class Result:
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    output: str = ""

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


def parse(output: str) -> Result:
    """wrk --latency output → requests/s, p50 and p99 (ms), error counts, BENCH lines."""
    result = Result(output=output)
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.rps = float(m.group(1))
    for pct, value, unit in _LATENCY.findall(output):
        ms = float(value) * _UNITS[unit]
        if pct == "50":
            result.p50_ms = ms
        else:
            result.p99_ms = ms
    if m := re.search(r"(\d+) requests in", output):
        result.requests = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result.non_2xx_3xx = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result.socket_errors = sum(int(x) for x in m.groups())
    for key, value in re.findall(r"^BENCH (\w+)=(\S+)$", output, re.MULTILINE):
        result.extra[key] = value
    return result


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int = 2,
    script: str | None = None,
    headers: tuple[str, ...] = (),
) -> Result:
    """One wrk run against `url` for `duration` seconds; it is killed if it overstays."""
    command = [
        ensure_wrk(),
        "--latency",
        "-d",
        f"{max(1, round(duration))}s",
        "-c",
        str(connections),
        "-t",
        str(min(threads, connections)),
        "--timeout",
        "5s",
    ]
    for header in headers:
        command += ["-H", header]
    with tempfile.TemporaryDirectory() as tmp:
        if script:
            path = Path(tmp) / "scenario.lua"
            path.write_text(script)
            command += ["-s", str(path)]
        command.append(url)
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse(done.stdout)


def _lua_list(items: list[str]) -> str:
    return "{" + ",".join(f'"{item}"' for item in items) + "}"


def rotate_paths(paths: list[str]) -> str:
    """GET a different path each time, each wrk thread starting at its own offset."""
    return f"""
local paths = {_lua_list(paths)}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[(offset + i) % #paths + 1])
end
"""


def mixed(
    read_ids: list[str],
    write_ids: list[str],
    etags: dict[str, str],
    versions: dict[str, int],
    key: str,
    writers: int,
    *,
    by_version: bool = False,
    write_every: int = 10,
) -> str:
    """Each wrk thread is one writer: one request in `write_every` is a PATCH (If-Match) of
    one of the thread's own articles, the rest GETs of the sample, and a thread never has a
    second PATCH in flight (8 threads: 8 writers, as an editing desk of 8 would). A write
    that is due while the thread's writer is busy is owed, and the thread's connections wait
    a little before each read while they owe writes (wrk's `delay`, which is not counted in
    latency), so writes stay one request in `write_every` instead of reads crowding them out.
    Each thread keeps the newest ETag (and version) it has seen per article, so writes are
    not stale by construction. `by_version` sends If-Match as the bare version."""
    per = len(write_ids) // writers
    # Long-bracket strings: ETags carry double quotes (and W/ when weak).
    etag_table = "{" + ",".join(f'["{k}"]=[=[{v}]=]' for k, v in etags.items()) + "}"
    return f"""
local reads = {_lua_list(read_ids)}
local writes = {_lua_list(write_ids)}
local etags = {etag_table}
local versions = {{{",".join(f'["{k}"]={v}' for k, v in versions.items())}}}
local by_version = {"true" if by_version else "false"}
local threads = {{}}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
local n, w, mine, writing, owed = 0, 0, {{}}, false, 0
errors, conflicts, sent = 0, 0, 0
function init(args)
  for j = 1, {per} do mine[j] = writes[tid * {per} + j] end
end
function delay()
  -- the more writes a thread owes, the longer its reads wait: writes settle at one in ten
  return math.min(owed * 5, 250)
end
function request()
  n = n + 1
  if n % {write_every} == 0 then owed = owed + 1 end
  if owed > 0 and not writing then
    owed, writing, sent = owed - 1, true, sent + 1
    w = w % #mine + 1
    local id = mine[w]
    local body = '{{"kicker":"bench ' .. tid .. '-' .. n .. '"}}'
    return wrk.format("PATCH", "/v1/articles/" .. id, {{
      ["Authorization"] = "Bearer {key}",
      ["If-Match"] = by_version and ('"' .. versions[id] .. '"') or etags[id],
      ["Content-Type"] = "application/merge-patch+json"}}, body)
  end
  return wrk.format("GET", "/v1/articles/" .. reads[(tid * 7919 + n) % #reads + 1])
end
function response(status, headers, body)
  if status >= 400 then errors = errors + 1 end
  if status == 412 or status == 428 then conflicts = conflicts + 1 end
  local control = headers["Cache-Control"] or headers["cache-control"] or ""
  if status >= 400 or control:find("no-store", 1, true) then
    writing = false  -- a write's answer: writes are no-store, and reads here never fail
  end
  local etag = headers["ETag"] or headers["etag"]
  if etag and body then
    local id = body:match('^{{"id":"([0-9a-z]+)"')
    local version = tonumber(body:match('"version":(%d+)') or "0")
    if id and etags[id] and version > versions[id] then
      etags[id], versions[id] = etag, version
    end
  end
end
function done(summary, latency, requests)
  local e, c, s = 0, 0, 0
  for _, t in ipairs(threads) do
    e = e + t:get("errors")
    c = c + t:get("conflicts")
    s = s + t:get("sent")
  end
  io.write("BENCH lua_errors=" .. e .. "\\n")
  io.write("BENCH conflicts=" .. c .. "\\n")
  io.write("BENCH writes=" .. s .. "\\n")
  io.write("BENCH requests=" .. summary.requests .. "\\n")
end
"""
