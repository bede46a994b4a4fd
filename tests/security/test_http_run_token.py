"""`make run` starts every time: its random API token never looks like a command-line option."""

from __future__ import annotations

import re
import subprocess

import pytest

from pobyt.tokens import api_token
from tests.conftest import ROOT

RUN_SH = ROOT / "scripts" / "run.sh"


def test_generated_tokens_never_begin_with_a_dash():
    tokens = [api_token() for _ in range(100_000)]  # secrets.token_urlsafe: about 1,600 would
    assert not [token for token in tokens if token.startswith("-")]
    assert all(re.fullmatch(r"[0-9a-f]{48}", token) for token in tokens)
    assert len(set(tokens)) == len(tokens)


def test_run_sh_makes_its_token_with_the_generator_and_passes_it_as_one_argument():
    script = RUN_SH.read_text(encoding="utf-8")
    (line,) = [line for line in script.splitlines() if line.startswith("API_TOKEN=")]
    made = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; BIN=.venv/bin; {line}; echo "$API_TOKEN"'],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{48}", made)
    assert '--auth-token="$API_TOKEN"' in script
    assert not re.search(r"--auth-token\s", script)


def test_rasa_takes_a_token_beginning_with_a_dash_only_after_an_equals_sign():
    from rasa.__main__ import create_argument_parser

    parser = create_argument_parser()
    with pytest.raises(SystemExit):  # what made `make run` fail about once in 64 starts
        parser.parse_args(["run", "--enable-api", "--auth-token", "-x1abc"])
    assert parser.parse_args(["run", "--enable-api", "--auth-token=-x1abc"]).auth_token == "-x1abc"
