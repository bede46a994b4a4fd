"""Load benchmark: many concurrent conversations against one and two Rasa servers (PostgreSQL + Redis).

Starts throwaway PostgreSQL and Redis servers (scripts/services.sh), one action server and N Rasa
servers with endpoints.prod.yml (and one action server per Rasa server, as when each machine runs
both; ``--action-servers one`` shares one), then drives ``--conversations`` concurrent conversations of
``--messages`` messages each over the REST channel. Every conversation waits for each reply before
its next message, and sends its messages to the servers in turn (a load balancer without sticky
sessions; ``--routing sticky``: always to the same server, as when balancing by sender). Prints,
for one and for two Rasa servers: throughput, p50/p95/p99 latency, errors, lost replies (a
message answered with nothing, or missing from the stored conversation), out-of-order
conversations (stored user messages not in the order sent), how busy the machine's CPU cores were
(more servers cannot help once they are all busy), and the throughput ratio two/one.

Usage: python bench/bench_load.py [--conversations 50] [--messages 20] [--servers 1 2]
                                  [--action-servers per-server|one] [--routing alternate|sticky] [--small]
(``--small``: 5 conversations of 4 messages, a quick check). The rate limit is switched off for
the run (POBYT_RATE_LIMIT_PER_MINUTE=0): the benchmark measures the servers, not the limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import aiohttp
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.pg_redis import PROD_ENDPOINTS, running_cluster, running_services  # noqa: E402
from tests.servers import API_TOKEN  # noqa: E402

MESSAGES = [
    "hello", "what do I need for family reunion", "how much does it cost", "how long does it take",
    "what is temporary protection", "where do I apply for asylum", "what documents do I need",
    "how long does permanent residence take", "thanks", "які документи потрібні для возз'єднання родини",
    "сколько стоит вид на жительство", "bye",
]  # fmt: skip


@dataclass
class Result:
    """What one run measured."""

    servers: int
    wall_s: float = 0.0
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    lost: int = 0
    out_of_order: int = 0
    messages: int = 0
    sent: List[str] = field(default_factory=list)
    cpu_busy: float = 0.0
    rasa_cpu_s: float = 0.0
    actions_cpu_s: float = 0.0
    action_servers: int = 1

    @property
    def throughput(self) -> float:
        return self.messages / self.wall_s if self.wall_s else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def conversation(
    session: aiohttp.ClientSession, urls: Sequence[str], sender: str, offset: int, count: int, alternate: bool
) -> Result:
    """Sends ``count`` messages as ``sender``; returns its own measurements.

    ``alternate``: the messages go to the servers in turn (a load balancer without affinity);
    otherwise all to one server (a load balancer routing by sender).
    """
    result = Result(servers=len(urls), messages=count)
    sent = result.sent
    for step in range(count):
        text = MESSAGES[(offset + step) % len(MESSAGES)]
        url = urls[(offset + (step if alternate else 0)) % len(urls)]
        start = time.perf_counter()
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, params={"token": API_TOKEN}
            ) as response:
                status = response.status
                replies = await response.json() if status == 200 else None
            elapsed = time.perf_counter() - start
            sent.append(text)
            if status != 200:
                result.errors += 1
                continue
            result.latencies.append(elapsed)
            if not replies or any(reply.get("recipient_id") != sender for reply in replies):
                result.lost += 1
        except (aiohttp.ClientError, asyncio.TimeoutError):
            result.errors += 1
    return result


async def drive_conversations(
    urls: Sequence[str], senders: Sequence[str], messages: int, alternate: bool
) -> List[Result]:
    """Runs all conversations at once from one event loop (a light client: the servers are measured)."""
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=0)  # one connection per conversation and server, as real clients
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        runs = (conversation(session, urls, sender, i, messages, alternate) for i, sender in enumerate(senders))
        return list(await asyncio.gather(*runs))


def check_stored(url: str, sender: str, sent: List[str], result: Result) -> None:
    """Compares the stored user messages with what was sent: missing ones are lost, others misordered."""
    events = requests.get(f"{url}/conversations/rest:{sender}/tracker", params={"token": API_TOKEN}, timeout=60).json()[
        "events"
    ]
    stored = [event["text"] for event in events if event["event"] == "user"]
    if stored != sent:
        missing = len(sent) - len(stored)
        if missing > 0:
            result.lost += missing
        else:
            result.out_of_order += 1


def process_cpu_s(processes: Sequence[subprocess.Popen]) -> float:
    """Returns the CPU seconds (user + system) the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in processes:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def cpu_times() -> Tuple[float, float]:
    """Returns the machine's (busy, total) CPU time so far, from /proc/stat (all cores)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def run(urls: Sequence[str], conversations: int, messages: int, prefix: str, alternate: bool = True) -> Result:
    """Drives ``conversations`` concurrent conversations of ``messages`` messages against ``urls``."""
    senders = [f"{prefix}-{i}" for i in range(conversations)]
    start, (busy_before, total_before) = time.perf_counter(), cpu_times()
    parts = asyncio.run(drive_conversations(urls, senders, messages, alternate))
    result = Result(servers=len(urls), messages=conversations * messages, wall_s=time.perf_counter() - start)
    busy_after, total_after = cpu_times()
    result.cpu_busy = (busy_after - busy_before) / max(total_after - total_before, 1.0)
    for sender, part in zip(senders, parts, strict=True):
        result.latencies += part.latencies
        result.errors += part.errors
        result.lost += part.lost
        check_stored(urls[0], sender, part.sent, result)
    return result


def print_table(results: List[Result]) -> None:
    """Prints one row per run and the throughput ratio of the largest to the single-server run."""
    header = (
        f"{'servers':>7} {'messages':>8} {'wall s':>7} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'lost':>5} {'misordered':>10} {'cpu busy':>8} {'rasa cpu s':>10} {'actions cpu s':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.servers:>7} {r.messages:>8} {r.wall_s:>7.1f} {r.throughput:>7.2f} {r.percentile(0.5) * 1000:>7.0f} "
            f"{r.percentile(0.95) * 1000:>7.0f} {r.percentile(0.99) * 1000:>7.0f} {r.errors:>6} {r.lost:>5} "
            f"{r.out_of_order:>10} {r.cpu_busy:>8.0%} {r.rasa_cpu_s:>10.0f} {r.actions_cpu_s:>13.0f}"
        )
    by_servers: Dict[int, Result] = {r.servers: r for r in results}
    if 1 in by_servers and len(by_servers) > 1:
        most = max(by_servers)
        ratio = by_servers[most].throughput / by_servers[1].throughput if by_servers[1].throughput else float("nan")
        print(f"throughput {most} servers / 1 server: {ratio:.2f}x on {os.cpu_count()} CPU cores")
    print("cpu busy: share of all the machine's cores in use during the run (servers, databases and this client);")
    print("rasa / actions cpu s: CPU seconds used by all Rasa servers / all action servers during the run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="messages per conversation")
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2], help="Rasa server counts to compare")
    parser.add_argument(
        "--action-servers",
        choices=["per-server", "one"],
        default="per-server",
        help="one action server per Rasa server (as on separate machines; default) or one shared by all",
    )
    parser.add_argument(
        "--routing",
        choices=["alternate", "sticky"],
        default="alternate",
        help="a conversation's messages go to the servers in turn (default) or always to the same one",
    )
    parser.add_argument("--small", action="store_true", help="5 conversations of 4 messages (a quick check)")
    args = parser.parse_args()
    if args.small:
        args.conversations, args.messages = 5, 4
    alternate = args.routing == "alternate"
    results = []
    with running_services() as services, tempfile.TemporaryDirectory(prefix="pobyt-bench-") as tmp:
        env = {**services.env, "POBYT_RATE_LIMIT_PER_MINUTE": "0", "POBYT_TODAY": "2026-11-24"}
        for count in args.servers:
            workdir = Path(tmp) / f"servers-{count}"
            workdir.mkdir()
            print(f"starting {count} Rasa server(s)...", file=sys.stderr)
            actions = count if args.action_servers == "per-server" else 1
            with running_cluster(workdir, PROD_ENDPOINTS, env, count=count, action_servers=actions) as cluster:
                # Every message to every server first: what a server loads or compiles on first use
                # (language models, TensorFlow graphs per input shape) is not what is measured.
                run(cluster.urls, len(MESSAGES), len(MESSAGES), f"warmup{count}", alternate)
                print(f"{args.conversations} conversations x {args.messages} messages...", file=sys.stderr)
                rasa = [p for p in cluster.processes if p is not None]
                before = process_cpu_s(rasa), process_cpu_s(cluster.action_processes)
                result = run(cluster.urls, args.conversations, args.messages, f"bench{count}", alternate)
                result.rasa_cpu_s = process_cpu_s(rasa) - before[0]
                result.actions_cpu_s = process_cpu_s(cluster.action_processes) - before[1]
                result.action_servers = actions
                results.append(result)
    print(
        f"{args.conversations} concurrent conversations x {args.messages} messages, PostgreSQL + Redis, "
        f"action servers: {args.action_servers}, routing: {args.routing}"
    )
    print_table(results)


if __name__ == "__main__":
    main()
