# pobyt: `make run` sets up and starts the assistant; `make test` installs what the tests need and runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
MODEL := models/pobyt.tar.gz
# What the trained model depends on: retrain when any of it changed since the last training.
MODEL_INPUTS := config.yml domain.yml pobyt/importer.py $(shell find data knowledge -type f -name '*.yml' 2>/dev/null)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run test lint format kb-check pytest validate test-stories train clean language-eval nlu-eval answer-eval audit

help:
	@echo "make run    set everything up and start the assistant (http://localhost:5005)"
	@echo "make test   install what the tests need (Chromium, PostgreSQL, Redis) and run every check"

# pip is ours to pin (26.3: past the 24.x advisories); setuptools and wheel are held by Rasa 3.6's pins
# (docs/deployment.md "Dependencies").
$(VENV)/.installed: requirements.txt constraints.txt scripts/find-python.sh .python-version
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$python"; $$python -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade "pip==26.3" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

venv: $(VENV)/.installed

$(MODEL): $(VENV)/.installed $(MODEL_INPUTS)
	$(RASA) train --fixed-model-name pobyt --out models --quiet
	$(PY) -m pobyt.engine.router
	@touch $@

train: $(MODEL)

run: $(VENV)/.installed $(MODEL)
	@scripts/run.sh

# Production storage: PostgreSQL tracker store + Redis lock store from POBYT_DB_* / POBYT_REDIS_* (.env.example).
.PHONY: run-prod
run-prod: $(VENV)/.installed $(MODEL)
	@scripts/run_prod.sh

kb-check: $(VENV)/.installed
	$(PY) -m pobyt.kb.check

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# POBYT_TESTS_REQUIRE_ALL: a test whose software or model is missing fails instead of skipping (tests/conftest.py).
pytest: $(VENV)/.installed $(MODEL)
	POBYT_TESTS_REQUIRE_ALL=1 $(BIN)/pytest

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings

test-stories: $(VENV)/.installed $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/core

language-eval: $(VENV)/.installed
	$(PY) scripts/evaluate_language.py

nlu-eval: $(VENV)/.installed $(MODEL)
	$(PY) scripts/evaluate_nlu.py --report-only tests/nlu_blind4

# browser and services install what the browser and PostgreSQL/Redis tests need (quick when it is there).
# Asks the assistant every question of tests/answers and checks each first reply against its answer key.
# The gate guards against regressions at today's level (issue 13's goal is 0.90; see README "Answer quality").
ANSWER_GATE ?= 0.65
answer-eval: $(VENV)/.installed $(MODEL)
	$(PY) scripts/evaluate_answers.py tests/answers --gate $(ANSWER_GATE)

test: browser services lint kb-check validate pytest language-eval nlu-eval answer-eval test-stories
	@echo "make test: all checks passed"

clean:
	rm -rf models results .pytest_cache

# Published advisories for the installed packages (docs/deployment.md "Dependencies"). pip-audit runs from
# its own virtualenv (its dependencies would move the assistant's pins) over `pip freeze` of the assistant's.
# It needs a machine that reaches PyPI's advisory service, so it is not part of `make test`.
.PHONY: audit
audit: $(VENV)/.installed
	@mkdir -p .make
	@[ -x .make/audit/bin/pip-audit ] || { $(PY) -m venv .make/audit && \
	  .make/audit/bin/python -m pip install --quiet "pip-audit==2.10.1"; }
	$(PY) -m pip freeze --exclude-editable >.make/installed.txt
	.make/audit/bin/pip-audit --no-deps --disable-pip --progress-spinner off -r .make/installed.txt

# Debian packages for the tests, installed only when missing (as root, else with sudo). apt waits up to
# 5 minutes for another apt or dpkg run to finish instead of failing at once.
APT_INSTALL := $$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get -o DPkg::Lock::Timeout=300 update && \
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$$@"' apt-install

# Headless Chromium for the widget's browser tests: Debian's chromium and chromium-driver (same version).
.PHONY: browser
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium and chromedriver are installed"; \
	else $(APT_INSTALL) chromium chromium-driver; fi

# PostgreSQL and Redis for the storage, scale-out and restart tests (scripts/services.sh starts throwaway ones).
.PHONY: services
services:
	@if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null; then \
	  echo "postgresql and redis-server are installed"; \
	else $(APT_INSTALL) postgresql redis-server; fi

# Telegram (pobyt/channels/telegram.py): needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET in the environment.
# telegram-webhook registers TELEGRAM_WEBHOOK_URL with Telegram; telegram-poll forwards getUpdates to the
# local server started by `make run` (POLL_ARGS=--delete-webhook removes a registered webhook first).
.PHONY: telegram-webhook telegram-poll
telegram-webhook: $(VENV)/.installed
	$(PY) scripts/telegram_webhook.py set

telegram-poll: $(VENV)/.installed
	$(PY) scripts/telegram_webhook.py poll $(POLL_ARGS)
