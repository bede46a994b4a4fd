"""`make test` is the whole check: it installs what the tests need and no test skips for missing software."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REQUIRE_ALL_VARIABLE, ROOT

SKIPPING_TESTS = """
import pytest

def test_needs_a_browser():
    pytest.skip("/usr/bin/chromium missing: install Debian's chromium and chromium-driver (make browser)")

def test_needs_the_model():
    pytest.skip("no trained model: run `make train` (make test does)")

def test_needs_a_folder_beside_the_repository():
    pytest.skip("../shared/sources is not next to the repository")
"""


def run_pytest(folder: Path, **env: str) -> str:
    (folder / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (folder / "test_skips.py").write_text(SKIPPING_TESTS)
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", REQUIRE_ALL_VARIABLE)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
        cwd=folder, env={**environ, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def test_missing_software_fails_under_make_test_and_skips_by_hand(tmp_path):
    assert "3 skipped" in run_pytest(tmp_path)
    assert "2 failed, 1 skipped" in run_pytest(tmp_path, **{REQUIRE_ALL_VARIABLE: "1"})
    assert "2 failed, 1 skipped" in run_pytest(tmp_path, CI="true")


def test_make_test_installs_the_browser_and_the_databases_before_the_tests():
    plan = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    chromium, databases = plan.index("chromium chromium-driver"), plan.index("postgresql redis-server")
    tests = plan.index(f"{REQUIRE_ALL_VARIABLE}=1 .venv/bin/pytest")
    assert chromium < tests and databases < tests


def test_ci_runs_just_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1] == "exec make test"
    assert not any("make browser" in line or "make services" in line for line in commands)
