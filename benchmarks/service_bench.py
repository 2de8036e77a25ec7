"""Load test of `asylum-kb serve` on loopback: requests per second and p50/p99 latency.

usage: python benchmarks/service_bench.py [--seconds 5] [--clients 1,8,64]   (needs the serve extra and httpx)
Starts the service in its own process on 127.0.0.1 (a free port), then for each of POST /v1/evaluate
without and with ?explain=true and each number of concurrent clients, sends the example case
repeatedly for a fixed time from one asyncio client process. Bounded in time; loopback only.
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


async def client(session: httpx.AsyncClient, url: str, body: bytes, stop_at: float, latencies: list[float]) -> int:
    errors = 0
    while time.perf_counter() < stop_at:
        start = time.perf_counter()
        response = await session.post(url, content=body, headers={"Content-Type": "application/json"})
        latencies.append(time.perf_counter() - start)
        errors += response.status_code != 200
    return errors


async def scenario(base: str, explain: bool, clients: int, seconds: float, body: bytes) -> dict[str, float]:
    url = f"{base}/v1/evaluate" + ("?explain=true" if explain else "")
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as session:
        await session.post(url, content=body, headers={"Content-Type": "application/json"})  # warm the path
        started = time.perf_counter()
        errors = sum(await asyncio.gather(*(client(session, url, body, started + seconds, latencies)
                                            for _ in range(clients))))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": errors, "rps": len(ordered) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000, "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000}


def start_server() -> tuple[subprocess.Popen[bytes], str]:
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
                return server, base
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
    server, base = start_server()
    try:
        print(f"asylum-kb serve on {base}, {os.cpu_count()} CPUs shared by server and client, {seconds:g} s per row")
        print(f"{'endpoint':<28} {'clients':>7} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for explain in (False, True):
            for clients in (int(c) for c in args.clients.split(",")):
                row = asyncio.run(scenario(base, explain, clients, seconds, body))
                name = "/v1/evaluate" + ("?explain=true" if explain else "")
                print(f"{name:<28} {clients:>7} {row['requests']:>9} {row['errors']:>6} {row['rps']:>8.0f} "
                      f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
