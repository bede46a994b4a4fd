"""Starts the real action server and Rasa server for end-to-end tests, on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "pobyt.tar.gz"
BIN = Path(sys.executable).parent
STARTUP_LIMIT_S = 180
#: Token of the test servers' HTTP API (tests pass it as ?token=).
API_TOKEN = "test-api-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, processes: List[subprocess.Popen], logs: List[Path]) -> None:
    """Polls ``url`` until it answers; fails at once if a server process exits (bounded wait)."""
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=False):
            if process.poll() is not None:
                raise RuntimeError(f"server exited during start-up:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)  # start-up polling interval, not a synchronisation of the test itself
    raise RuntimeError(f"{url} did not answer within {STARTUP_LIMIT_S} s")


@contextmanager
def running_assistant(
    workdir: Path, env_overrides: Dict[str, str], rasa_args: Sequence[str] = (), credentials: Optional[Path] = None
) -> Iterator[str]:
    """Runs both servers with a fresh SQLite tracker store; yields the Rasa server's base URL.

    ``rasa_args`` are added to ``rasa run`` (e.g. ``["--cors", "http://partner.test"]``);
    ``credentials`` replaces the project's credentials.yml (e.g. to point a channel at a fake).
    """
    rasa_port, actions_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'tracker_store:\n  type: pobyt.storage.SQLiteTrackerStore\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
    )
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", **env_overrides}
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    commands = [
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        [str(BIN / "rasa"), "run", "--enable-api", "--auth-token", API_TOKEN, "--model", str(MODEL), "--port", str(rasa_port),
         "--endpoints", str(endpoints), "--credentials", str(credentials or ROOT / "credentials.yml"), *rasa_args],
    ]  # fmt: skip
    processes = []
    try:
        for command, log in zip(commands, logs, strict=True):
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
            )
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", processes, logs)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={API_TOKEN}", processes, logs)
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def stop(processes: Sequence[subprocess.Popen]) -> None:
    """Terminates server processes, killing any that does not stop within 30 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_rasa(
    workdir: Path, env_overrides: Dict[str, str], action_url: str, credentials: Optional[Path] = None
) -> Iterator[str]:
    """Runs only the Rasa server (fresh SQLite tracker store) with its action endpoint at ``action_url``.

    Yields the base URL. Nothing needs to listen at ``action_url``: tests of faults start, stop or
    replace the action server themselves (see ``running_actions``).
    """
    rasa_port = free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "{action_url}"\n'
        f'tracker_store:\n  type: pobyt.storage.SQLiteTrackerStore\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
    )
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", **env_overrides}
    log = workdir / "rasa.log"
    command = [str(BIN / "rasa"), "run", "--enable-api", "--auth-token", API_TOKEN, "--model", str(MODEL),
               "--port", str(rasa_port), "--endpoints", str(endpoints),
               "--credentials", str(credentials or ROOT / "credentials.yml")]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={API_TOKEN}", [process], [log])
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        stop([process])


@contextmanager
def running_actions(workdir: Path, port: int, env_overrides: Optional[Dict[str, str]] = None) -> Iterator[str]:
    """Runs only the action server on ``port``; yields its webhook URL."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **(env_overrides or {})}
    log = workdir / "actions.log"
    command = [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", [process], [log])
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        stop([process])
