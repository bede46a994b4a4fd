"""Real PostgreSQL and Redis servers (scripts/services.sh) and Rasa servers sharing them, for tests.

``services_or_skip()`` starts both database servers in a temporary folder. Without the programs the
test is skipped, except under CI (``CI`` set, e.g. ``CI=true``), where that is a failure: CI installs them
(``make services``) and must not pass by skipping; so does `make test` (tests/conftest.py), which installs them. ``RasaCluster`` runs one action server and any
number of ``rasa run`` processes with one endpoints file; each can be killed and started again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests

from tests.servers import API_TOKEN, BIN, MODEL, ROOT, free_port, wait_until_up

SERVICES = ROOT / "scripts" / "services.sh"
PROD_ENDPOINTS = ROOT / "endpoints.prod.yml"


def missing_programs() -> List[str]:
    """Returns the database programs scripts/services.sh needs and cannot find."""
    missing = []
    if not (list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")) or shutil.which("pg_ctl")):
        missing.append("PostgreSQL (Debian package postgresql)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (Debian package redis-server)")
    return missing


@dataclass
class Services:
    """Running PostgreSQL and Redis servers: their folder and the POBYT_* variables to reach them."""

    directory: Path
    env: Dict[str, str]

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the PostgreSQL database."""
        e = self.env
        return (
            f"postgresql://{e['POBYT_DB_USER']}:{e['POBYT_DB_PASSWORD']}@{e['POBYT_DB_HOST']}:"
            f"{e['POBYT_DB_PORT']}/{e['POBYT_DB_NAME']}"
        )

    def store_kwargs(self) -> Dict[str, str]:
        """Keyword arguments of Rasa's SQL tracker store for this database (as in endpoints.prod.yml)."""
        e = self.env
        return {
            "dialect": "postgresql",
            "host": e["POBYT_DB_HOST"],
            "port": e["POBYT_DB_PORT"],
            "db": e["POBYT_DB_NAME"],
            "username": e["POBYT_DB_USER"],
            "password": e["POBYT_DB_PASSWORD"],
        }

    def stop_postgres(self) -> None:
        """Stops PostgreSQL (an outage); ``start_postgres`` brings it back with its data."""
        subprocess.run([str(SERVICES), "pg-stop", str(self.directory)], check=True, timeout=90)

    def start_postgres(self) -> None:
        """Starts PostgreSQL again after ``stop_postgres``."""
        subprocess.run([str(SERVICES), "pg-start", str(self.directory)], check=True, timeout=90)


@contextmanager
def running_services() -> Iterator[Services]:
    """Starts PostgreSQL and Redis with scripts/services.sh; stops them and deletes their data afterwards."""
    result = subprocess.run([str(SERVICES), "start"], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/services.sh start failed:\n{result.stdout}\n{result.stderr}")
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    directory = Path(values.pop("POBYT_SERVICES_DIR"))
    try:
        yield Services(directory, values)
    finally:
        subprocess.run([str(SERVICES), "stop", str(directory)], timeout=120)


@contextmanager
def services_or_skip(needs_model: bool = True) -> Iterator[Services]:
    """Like ``running_services``; skips the test when the programs are missing, fails instead under CI.

    ``needs_model``: also skip when there is no trained model (tests that start Rasa servers).
    """
    missing = missing_programs()
    if missing:
        reason = f"not installed: {', '.join(missing)}; run `make services`"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"CI must run the PostgreSQL/Redis tests, but {reason}")
        pytest.skip(reason)
    if needs_model and not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    with running_services() as services:
        yield services


@dataclass
class RasaCluster:
    """Action servers and ``count`` Rasa servers sharing one endpoints file (see ``running_cluster``)."""

    workdir: Path
    endpoints: Path
    env: Dict[str, str]
    ports: List[int]
    processes: List[Optional[subprocess.Popen]] = field(default_factory=list)
    starts: List[int] = field(default_factory=list)
    #: Webhook URLs of the action servers; Rasa server i uses action server i modulo their number.
    action_urls: List[str] = field(default_factory=list)
    action_processes: List[subprocess.Popen] = field(default_factory=list)

    @property
    def urls(self) -> List[str]:
        """Base URLs of the Rasa servers."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def log(self, index: int) -> Path:
        """The log file of Rasa server ``index``'s latest run."""
        return self.workdir / f"rasa-{index}-{self.starts[index]}.log"

    def start(self, index: int) -> None:
        """Starts Rasa server ``index`` (again) and waits until it answers."""
        self.starts[index] += 1
        command = [
            str(BIN / "rasa"), "run", "--enable-api", "--auth-token", API_TOKEN, "--model", str(MODEL),
            "--port", str(self.ports[index]), "--endpoints", str(self.endpoints),
            "--credentials", str(ROOT / "credentials.yml"),
        ]  # fmt: skip
        log = self.log(index)
        env = {**self.env, "POBYT_ACTION_SERVER_URL": self.action_urls[index % len(self.action_urls)]}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.processes[index] = process
        wait_until_up(f"{self.urls[index]}/status?token={API_TOKEN}", [process], [log])

    def kill(self, index: int) -> None:
        """Kills Rasa server ``index`` at once (SIGKILL: no clean shutdown, like a crash)."""
        process = self.processes[index]
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            self.processes[index] = None

    def stop(self, index: int) -> None:
        """Stops Rasa server ``index`` cleanly (SIGTERM), killing it after 30 s."""
        process = self.processes[index]
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            self.processes[index] = None


@contextmanager
def running_cluster(
    workdir: Path, endpoints: Path, env_overrides: Dict[str, str], count: int = 2, action_servers: int = 1
) -> Iterator[RasaCluster]:
    """Runs ``action_servers`` action servers and ``count`` Rasa servers with ``endpoints``; stops them all afterwards.

    Each Rasa server gets its action server's URL as ``POBYT_ACTION_SERVER_URL`` (for the endpoints
    file); ``env_overrides`` adds the other variables (e.g. ``Services.env``).
    """
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        **env_overrides,
    }
    cluster = RasaCluster(workdir, endpoints, env, [free_port() for _ in range(count)], [None] * count, [0] * count)
    try:
        for index in range(action_servers):
            port, log = free_port(), workdir / f"actions-{index}.log"
            cluster.action_processes.append(
                subprocess.Popen(
                    [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
            cluster.action_urls.append(f"http://127.0.0.1:{port}/webhook")
            wait_until_up(f"http://127.0.0.1:{port}/health", cluster.action_processes[-1:], [log])
        for index in range(count):
            cluster.start(index)
        yield cluster
    finally:
        for index in range(count):
            cluster.stop(index)
        for actions in cluster.action_processes:
            actions.terminate()
        for actions in cluster.action_processes:
            try:
                actions.wait(timeout=30)
            except subprocess.TimeoutExpired:
                actions.kill()


def say(url: str, sender: str, message: str, timeout: float = 60) -> List[dict]:
    """Sends one message over the REST channel; returns the bot's replies (raises on an HTTP error)."""
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        params={"token": API_TOKEN},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()


def tracker(url: str, sender: str) -> dict:
    """The conversation's state from Rasa's HTTP API (slots, events); the REST channel stores it as rest:<sender>."""
    response = requests.get(f"{url}/conversations/rest:{sender}/tracker", params={"token": API_TOKEN}, timeout=30)
    response.raise_for_status()
    return response.json()
