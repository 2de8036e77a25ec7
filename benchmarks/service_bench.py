"""Load test of `asylum-kb serve` on loopback: requests per second and p50/p99 latency.

usage: python benchmarks/service_bench.py [--seconds 5] [--clients 1,8,64]   (needs the serve extra and httpx)
Starts the service in its own process on 127.0.0.1 (a free port), then for each of POST /v1/evaluate
without and with ?explain=true and each number of concurrent keep-alive connections, sends the
example case repeatedly for a fixed time from one asyncio client process. Bounded in time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: this benchmark never sends traffic anywhere else


async def client(port: int, request: bytes, stop_at: float, latencies: list[float]) -> int:
    """One keep-alive connection sending the request until the time is up; returns the non-200 count.

    A plain asyncio HTTP/1.1 client: with httpx, 64 connections in one process cost more than the
    server did (even GET /healthz slowed down), so the figures measured the client.
    """
    reader, writer = await asyncio.open_connection(HOST, port)
    errors = 0
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            errors += status != 200
    finally:
        writer.close()
    return errors


async def scenario(port: int, explain: bool, clients: int, seconds: float, body: bytes) -> dict[str, float]:
    path = "/v1/evaluate" + ("?explain=true" if explain else "")
    request = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    await client(port, request, time.perf_counter() + 0.2, [])  # warm the path
    latencies: list[float] = []
    started = time.perf_counter()
    errors = sum(await asyncio.gather(*(client(port, request, started + seconds, latencies) for _ in range(clients))))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": errors, "rps": len(ordered) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000, "p99_ms": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000}


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": os.environ.get("ASYLUM_KB_CACHE_DIR", tempfile.mkdtemp())}
    command = [sys.executable, "-m", "asylum_kb.cli.main", "serve", "--host", HOST, "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, port
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the service did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each scenario (at most 60)")
    parser.add_argument("--clients", default="1,8,64", help="numbers of concurrent clients, comma-separated")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)
    body = json.dumps(yaml.safe_load((ROOT / "examples" / "affirmative-grant.yaml").read_text()), default=str).encode()
    server, port = start_server()
    try:
        print(f"asylum-kb serve on {HOST}:{port}, {os.cpu_count()} CPUs shared by server and client, {seconds:g} s per row")
        print(f"{'endpoint':<28} {'clients':>7} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for explain in (False, True):
            for clients in (int(c) for c in args.clients.split(",")):
                row = asyncio.run(scenario(port, explain, clients, seconds, body))
                name = "/v1/evaluate" + ("?explain=true" if explain else "")
                print(f"{name:<28} {clients:>7} {row['requests']:>9} {row['errors']:>6} {row['rps']:>8.0f} "
                      f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
