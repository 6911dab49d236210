"""A closed-loop HTTP load generator on loopback: processes of threads, each thread one
keep-alive connection sending its next request as soon as the last is answered.

Python rather than wrk because the action workload must carry each case's version from one
answer to the next request.  So that it is not what limits the figures, ``ceiling`` measures it
against ``canned_server``, an asyncio server that answers every request with the same bytes.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# A request maker: (connection's state) -> (method, path, body or None); ``seen`` gets each
# answer's status and JSON so that the next request can follow from it.
Maker = Callable[[dict], tuple[str, str, dict | None]]


@dataclass
class Load:
    requests: int = 0  # answered within the timed window
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, timed window only
    statuses: dict[int, int] = field(default_factory=dict)
    created: list[tuple[str, int]] = field(default_factory=list)  # (number, version)
    client_cpu: float = 0.0  # CPU seconds the generator itself used
    server_cpu: float = 0.0  # CPU seconds the server's workers used meanwhile

    @property
    def answered(self) -> int:  # warm-up included
        return sum(self.statuses.values())

    @property
    def server_cpu_per_request(self) -> float:
        return self.server_cpu / self.answered if self.answered else float("nan")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def merge(self, other: Load) -> None:
        self.requests += other.requests
        self.seconds = max(self.seconds, other.seconds)
        self.latencies.extend(other.latencies)
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.created.extend(other.created)
        self.client_cpu += other.client_cpu


def _thread(port: int, headers: dict, make: Maker, state: dict, warm: float, stop: float,
            out: Load, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    mine = Load()
    while True:
        began = time.perf_counter()
        if began >= stop:
            break
        method, path, body = make(state)
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        ended = time.perf_counter()
        status = answer.status
        if began >= warm:
            mine.requests += 1
            mine.latencies.append(ended - began)
        mine.statuses[status] = mine.statuses.get(status, 0) + 1
        if "seen" in state:
            state["seen"](state, status, json.loads(data) if data else {})
    connection.close()
    with lock:
        out.merge(mine)


def _process(port: int, headers: dict, make: Maker, states: list[dict], warmup: float,
             seconds: float, start_at: float, results) -> None:
    while time.time() < start_at:  # every process starts together
        time.sleep(0.001)
    cpu = time.process_time()
    now = time.perf_counter()
    warm, stop = now + warmup, now + warmup + seconds
    out, lock = Load(), threading.Lock()
    threads = [threading.Thread(target=_thread, args=(port, headers, make, state, warm, stop,
                                                      out, lock)) for state in states]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.seconds = seconds
    out.client_cpu = time.process_time() - cpu
    for state in states:
        out.created.extend(state.get("created", []))
    results.put(out)


def run(port: int, make: Maker, states: list[dict], *, headers: dict | None = None,
        seconds: float = 8.0, warmup: float = 1.0, processes: int = 2) -> Load:
    """One connection per state in ``states``, spread over ``processes`` forked processes
    (forked, so that ``make`` and the states' callbacks need not be picklable)."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    groups = [g for g in (states[i::processes] for i in range(processes)) if g]
    start_at = time.time() + 0.3
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_process, args=(port, headers, make, g, warmup, seconds,
                                                      start_at, results)) for g in groups]
    for w in workers:
        w.start()
    parts = [results.get(timeout=seconds + warmup + 120) for _ in workers]
    for w in workers:
        w.join()
    total = Load()
    for part in parts:
        total.merge(part)
    total.seconds = seconds
    return total


CANNED = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
          b"Connection: keep-alive\r\n\r\n{\"ok\":true}")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(CANNED)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve_canned(sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_answer, sock=sock)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def ceiling(states: int, *, seconds: float, processes: int = 2) -> Load:
    """The generator against a server that does nothing: the most it can send."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=_serve_canned, args=(sock,),
                                                         daemon=True)
    server.start()
    sock.close()
    try:
        return run(port, lambda _state: ("POST", "/", {"x": 1}), [{} for _ in range(states)],
                   seconds=seconds, warmup=min(1.0, seconds / 4), processes=processes)
    finally:
        server.terminate()
        server.join()


def peak_rss_kib(pid: int) -> list[int]:
    """VmHWM (peak resident memory) of each child of ``pid`` (gunicorn's workers), in KiB."""
    peaks = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return peaks
    for child in children:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        except OSError:
            continue
    return peaks



def workers_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by the children of ``pid`` (gunicorn's workers):
    what a request costs the server, whatever else holds the cores meanwhile."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")
