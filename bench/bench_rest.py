"""Benchmark: pobyt against the stock `rasa init` starter bot, same load over REST, same run.

Prints p50/p95 latency, messages per second and peak memory (VmHWM of the server processes) at
concurrency 1 and 10 for both, the ratios pobyt/starter, and the training time of pobyt's full
model (``rasa train --force``). Everything runs on loopback; nothing is downloaded.

Usage: python bench/bench_rest.py [--messages 120] [--skip-training]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.servers import API_TOKEN, BIN, free_port, running_assistant, wait_until_up  # noqa: E402

MESSAGES = [
    "hello", "what do I need for family reunion", "how much does it cost", "what is temporary protection",
    "where do I apply for asylum", "thanks", "how long does permanent residence take", "bye",
]  # fmt: skip
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def peak_memory_mb(pids: List[int]) -> float:
    """Returns the summed peak resident memory (VmHWM) of the processes and their children, in MB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def server_pids(port_hint: str) -> List[int]:
    """Returns the pids of running `rasa run` processes whose command line mentions ``port_hint``."""
    out = subprocess.run(["pgrep", "-f", "--", port_hint], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out if Path(f"/proc/{p}").exists()]


def load(url: str, total: int, concurrency: int) -> Tuple[List[float], float]:
    """Sends ``total`` messages with ``concurrency`` parallel senders; returns latencies (s) and wall time."""

    def sender(worker: int) -> List[float]:
        latencies = []
        for i in range(total // concurrency):
            text = MESSAGES[i % len(MESSAGES)]
            start = time.perf_counter()
            response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": f"bench-{concurrency}-{worker}",
                                     "message": text}, params={"token": API_TOKEN}, timeout=120)  # fmt: skip
            response.raise_for_status()
            latencies.append(time.perf_counter() - start)
        return latencies

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(sender, range(concurrency)))
    return [x for r in results for x in r], time.perf_counter() - start


def measure(url: str, total: int, pid_hint: str) -> Dict[int, Tuple[float, float, float]]:
    """Returns {concurrency: (p50 ms, p95 ms, messages/s)} after a warm-up."""
    load(url, len(MESSAGES), 1)  # warm-up: first calls load lazy parts (lemmatiser, language models)
    figures = {}
    for concurrency in (1, 10):
        latencies, wall = load(url, total, concurrency)
        quantiles = statistics.quantiles(latencies, n=20)
        figures[concurrency] = (statistics.median(latencies) * 1000, quantiles[18] * 1000, len(latencies) / wall)
    return figures


@contextmanager
def starter_bot(workdir: Path) -> Iterator[str]:
    """Creates, trains and serves the stock `rasa init` starter bot; yields its URL."""
    project = workdir / "starter"
    project.mkdir()
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)], env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    port = free_port()
    log = (workdir / "starter.log").open("w")
    process = subprocess.Popen([str(BIN / "rasa"), "run", "--enable-api", "--port", str(port)], cwd=project,
                               env=ENV, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/status", [process], [workdir / "starter.log"])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def training_time(workdir: Path) -> float:
    """Returns the seconds a full training takes: `rasa train --force` (cache disabled) and the procedure router."""
    start = time.perf_counter()
    subprocess.run([str(BIN / "rasa"), "train", "--force", "--out", str(workdir / "models"), "--quiet"], cwd=ROOT,
                   env={**ENV, "RASA_CACHE_DIRECTORY": str(workdir / "cache")}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    # The router is part of what `make train` builds; trained here into an empty folder, not loaded.
    subprocess.run([sys.executable, "-m", "pobyt.engine.router"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env={**ENV, "POBYT_ROUTER_DIR": str(workdir / "router")})  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    """Runs the benchmark and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=120, help="messages per concurrency level")
    parser.add_argument("--skip-training", action="store_true", help="do not time the full training")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # The bench's few senders send far more than a person would: the per-sender flood limit is off.
        with running_assistant(workdir, {"POBYT_RATE_LIMIT_PER_MINUTE": "0"}) as url:
            port = url.rsplit(":", 1)[1]
            rows["pobyt"] = (measure(url, args.messages, port), peak_memory_mb(server_pids(f"--port {port}")
                             + server_pids("rasa run actions")))  # fmt: skip
        with starter_bot(workdir) as url:
            port = url.rsplit(":", 1)[1]
            rows["starter"] = (measure(url, args.messages, port), peak_memory_mb(server_pids(f"--port {port}")))
        train_s = None if args.skip_training else training_time(workdir)

    print(f"{'bot':<9}{'conc':>5}{'p50 ms':>9}{'p95 ms':>9}{'msg/s':>8}{'peak MB':>9}")
    for bot, (figures, memory) in rows.items():
        for concurrency, (p50, p95, rate) in figures.items():
            print(f"{bot:<9}{concurrency:>5}{p50:>9.1f}{p95:>9.1f}{rate:>8.1f}{memory:>9.0f}")
    ours, starter = rows["pobyt"], rows["starter"]
    for concurrency in (1, 10):
        o, s = ours[0][concurrency], starter[0][concurrency]
        print(f"ratio pobyt/starter at concurrency {concurrency}: p50 {o[0] / s[0]:.2f}, p95 {o[1] / s[1]:.2f}, "
              f"throughput {o[2] / s[2]:.2f}")  # fmt: skip
    print(f"ratio pobyt/starter peak memory: {ours[1] / starter[1]:.2f}")
    if train_s is not None:
        print(f"pobyt full training time: {train_s:.0f} s (goal <= 600 s)")


if __name__ == "__main__":
    main()
