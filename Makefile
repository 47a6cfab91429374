# Vigie: `make run` starts everything on this machine; `make test` checks it. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck web-test bench soak install clean train-sentiment eval-sentiment eval-alerts

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/vigie run

lint: $(STAMP)
	$(BIN)/ruff check services streams api tests
	$(BIN)/ruff format --check services streams api tests

typecheck: $(STAMP)
	$(BIN)/mypy

# The wall's pure modules, in Node's own test runner (no packages).
web-test:
	node --test web/tests/

test: $(STAMP) lint typecheck web-test
	$(BIN)/python -m pytest

# Speed and scale on the embedded broker: prints a table, writes tests/bench/results/<date>-<commit>.json (~5 min).
bench: $(STAMP)
	$(BIN)/python -m tests.bench.run

# Endurance on demand (not in `make test` nor `make bench`'s default length): the demo at SOAK_RATE mentions/s,
# one raw record each, for SOAK_S seconds on a whole `vigie run`, renewing its broker; prints per renewal.
SOAK_S ?= 1800
SOAK_RATE ?= 200
soak: $(STAMP)
	$(BIN)/python -m tests.bench.soak --duration-s $(SOAK_S) --rate $(SOAK_RATE)

# Sentiment: retrain the model files (deterministic; needs ../shared/data/sentiment); eval-sentiment prints
# validation and untouched-test tables per language next to VADER, and the complaint-stream check.
train-sentiment: $(STAMP)
	$(BIN)/python -m services.understanding.language --train
	$(BIN)/python -m services.understanding.sentiment.train $(if $(CORRECTIONS),--corrections $(CORRECTIONS))
# ^ make train-sentiment CORRECTIONS=var/corrections also trains on the labels people set (vigie corrections export)

eval-sentiment: $(STAMP)
	$(BIN)/python -m services.understanding.sentiment.evaluate

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Alerts: an hour of demo traffic replayed in event time through the real stages and rules, scored per scripted episode.
eval-alerts: $(STAMP)
	$(BIN)/python -m services.alerts.evaluate
