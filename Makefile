# The two commands the README names, `make install` and `make test` (CI runs `make lint`, then
# `make test`). Every target installs first and is safe to run again (the virtual environment is
# rebuilt only when the pins change).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HAYSTACK_TELEMETRY_ENABLED := False

.PHONY: install run test bench lint

# torch first, for the sentence-transformers extra that [dev] pulls in: this exact pin is the CPU
# build (any other spec pulls the CUDA libraries). The default install, without the extra, has no torch.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/feedback-router serve

test: install
	HF_HUB_OFFLINE=1 $(BIN)/pytest

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports \
		&& $(BIN)/mypy feedback_router classifiers integrations
