"""``python -m bench evidence``: the memory a 20 MB attachment costs the web worker.

One ``casework serve --workers 1`` per database (SQLite, and PostgreSQL where one answers); a
warm-up upload and download of a small file first (Pillow, pillow-heif and the routes are
imported by then).  Before each measured request the worker's peak resident memory (VmHWM) is
reset through /proc/PID/clear_refs, and read after it: the peak of that request alone.  Files:
a 1 MB and a 20 MB PDF (sealed as they come) and a 20 MB JPEG (cleaned of its metadata segment
by segment and decoded at reduced scale for its thumbnail).  Flat memory means the 20 MB
requests peak about where the 1 MB ones do.
"""

from __future__ import annotations

import io
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import say
from bench.servers import Databases, Server, request

MIB = 1024 * 1024
MAX = 20 * MIB


@dataclass
class Measured:
    database: str
    file: str
    operation: str
    seconds: float
    peak_mib: float
    before_mib: float


@dataclass
class Result:
    rows: list[Measured] = field(default_factory=list)
    # (database, the worker's RSS after the warm-up, after every measured request), MiB
    drift: list[tuple[str, float, float]] = field(default_factory=list)


def pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%"
    tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def big_jpeg(size: int) -> bytes:
    """A noisy photo just under ``size`` bytes (noise does not compress)."""
    from PIL import Image

    for side in (5200, 5000, 4800, 4600, 4400, 4200, 4000):
        image = Image.effect_noise((side, side * 3 // 4), 90).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() <= size:
            return out.getvalue()
    raise RuntimeError("no JPEG under the limit")


def multipart(data: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    return body + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def worker_pid(server: Server) -> int:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return int(children.read_text().split()[0])


def reset_peak(pid: int) -> float:
    """Reset VmHWM to the current RSS; the RSS now, in MiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmRSS:") / 1024


def status_kib(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name):
            return int(line.split()[1])
    raise RuntimeError(f"{name} not in /proc/{pid}/status")


def bench_evidence(pg_url: str | None, runs: int = 3) -> Result:
    result = Result()
    files = [("1 MB PDF", pdf(MIB), "small.pdf"), ("20 MB PDF", pdf(MAX), "big.pdf"),
             ("20 MB JPEG", big_jpeg(MAX), "big.jpg")]
    say(f"files: {', '.join(f'{label} ({len(data):,} bytes)' for label, data, _ in files)}")
    for kind in ("sqlite", *(["postgresql"] if pg_url else [])):
        with tempfile.TemporaryDirectory(prefix="bench-evidence-") as work:
            databases = Databases(kind, Path(work), pg_url)
            try:
                rows, drift = _one(kind, databases, files, Path(work), runs)
                result.rows += rows
                result.drift.append((kind, *drift))
            finally:
                databases.drop_all()
    return result


def _one(kind: str, databases: Databases, files, work: Path,
         runs: int) -> tuple[list[Measured], tuple[float, float]]:
    url = databases.fresh("evidence")
    server = Server("casework", url, 1, work / "server.log")
    auth = {"Authorization": f"Bearer {databases.token}"}
    rows = []
    try:
        status, _, body = request(server.port, "POST", "/api/v1/cases", json.dumps({
            "channel": "hotline_12338", "village_code": databases.villages[0],
            "category": "domestic_violence", "urgency": "normal", "summary": "bench",
            "petitioner": {"name": "bench", "phone": "13800000000"}}).encode(),
            {**auth, "Content-Type": "application/json"})
        number = json.loads(body)["number"]
        base = f"/api/v1/cases/{number}/attachments"
        pid = worker_pid(server)
        _measure(server.port, pid, auth, base, kind, files[0])  # warm-up, not recorded
        warm = status_kib(pid, "VmRSS:") / 1024
        for file in files:
            for _ in range(runs):
                up, down = _measure(server.port, pid, auth, base, kind, file)
                rows += [up, down]
                say(f"{kind} {file[0]}: upload {up.seconds:.2f} s peak {up.peak_mib:.0f} MiB; "
                    f"download {down.seconds:.2f} s peak {down.peak_mib:.0f} MiB")
        drift = (warm, status_kib(pid, "VmRSS:") / 1024)
    finally:
        peaks = server.stop()
        say(f"{kind}: the worker's lifetime peak {max(peaks, default=0) / 1024:.0f} MiB")
    return rows, drift


def _measure(port: int, pid: int, auth: dict, base: str, kind: str,
             file: tuple[str, bytes, str]) -> tuple[Measured, Measured]:
    label, data, name = file
    body, boundary = multipart(data, name)
    before = reset_peak(pid)
    started = time.perf_counter()
    status, _, answer = request(port, "POST", base, body, {
        **auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    seconds = time.perf_counter() - started
    assert status == 201, (status, answer[:300])
    up = Measured(kind, label, "upload", seconds, status_kib(pid, "VmHWM:") / 1024, before)
    added = json.loads(answer)
    before = reset_peak(pid)
    started = time.perf_counter()
    status, _, got = request(port, "GET", f"{base}/{added['id']}", None, auth)
    seconds = time.perf_counter() - started
    assert status == 200 and len(got) == added["size"], status
    down = Measured(kind, label, "download", seconds, status_kib(pid, "VmHWM:") / 1024, before)
    return up, down


def evidence_section(result: Result, run_line: str, runs: int) -> str:
    lines = ["## Evidence: the web worker's memory for a 20 MB attachment", "", run_line, "",
             "`casework serve --workers 1`; every request's own peak resident memory of the "
             "worker (VmHWM reset through /proc/PID/clear_refs before it, read after it), "
             f"{runs} runs of each after a warm-up; the rise is the peak above the "
             "worker's resident memory when the request began.  Upload: multipart, told by "
             "content, cleaned (JPEG: metadata segments dropped, decoded at reduced scale for the "
             "thumbnail), sha256, sealed in 1 MiB chunks in one transaction.  Download: every "
             "chunk opened once before the `view_attachment` event, then streamed chunk by "
             "chunk.", "",
             "| database | file | operation | seconds (median) | highest peak RSS (MiB) | "
             "largest rise within one request (MiB) |", "|---|---|---|---:|---:|---:|"]
    groups: dict[tuple[str, str, str], list[Measured]] = {}
    for row in result.rows:
        groups.setdefault((row.database, row.file, row.operation), []).append(row)
    for (database, file, operation), rows in groups.items():
        seconds = sorted(r.seconds for r in rows)[len(rows) // 2]
        lines.append(f"| {database} | {file} | {operation} | {seconds:.2f} | "
                     f"{max(r.peak_mib for r in rows):.0f} | "
                     f"{max(r.peak_mib - r.before_mib for r in rows):.0f} |")
    lines += ["", "The worker's resident memory after the warm-up and after all the requests "
              "above (what stays between requests: SQLite's page cache and the connection "
              "pool, malloc's free lists): " + "; ".join(
                  f"{kind} {warm:.0f} MiB, then {after:.0f} MiB"
                  for kind, warm, after in result.drift) + "."]
    return "\n".join(lines)


