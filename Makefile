# The two set-up commands: `make up` (virtualenv, install, start tenantd with a demo tenant) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: up test lint install clean bench fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

up: $(VENV)/.installed
	$(BIN)/tenantd up --demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/mypy

CHROMIUM = /usr/bin/chromium

# The Azure CLI tests run the real azure-cli, installed once into its own virtualenv under TENANTD_AZ_CACHE
# (default ~/.cache/tenantd-az; a first install takes one to three minutes), before any test's time limit starts.
test: lint
	@test -x $(CHROMIUM) || { echo "The browser tests need Debian's Chromium: apt-get install chromium"; exit 1; }
	$(BIN)/python -m tests.compat.azure_cli
	$(BIN)/pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

# Benchmarks against the machine's own limits (bench/README.md): starts what it needs, prints the table.
bench: $(VENV)/.installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Longer fuzzing than `make test` runs (tests/fuzz): every hypothesis and schemathesis run with FUZZ_SCALE times
# its examples, then, where atheris installs, each coverage-guided target for FUZZ_SECONDS (corpus and any
# crashing input under .fuzz/).
FUZZ_SCALE ?= 20
FUZZ_SECONDS ?= 120
ATHERIS_TARGETS = form odata logfilter tenantfile jws

fuzz: lint
	TENANTD_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest -n 2 -q --timeout 3600 tests/fuzz $(PYTEST_ARGS)
	-$(BIN)/pip install -q -e '.[fuzz]'
	@if $(BIN)/python -c "import atheris" 2>/dev/null; then \
	  for t in $(ATHERIS_TARGETS); do \
	    mkdir -p .fuzz/corpus/$$t && \
	    $(BIN)/python -m tests.fuzz.atheris_targets $$t .fuzz/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
	      -timeout=5 -rss_limit_mb=2048 -artifact_prefix=.fuzz/ -print_final_stats=1 || exit 1; \
	  done; \
	else echo "atheris is not installed here: the coverage-guided runs were skipped"; fi

clean:
	rm -rf $(VENV) .tenantd .pytest_cache .mypy_cache .ruff_cache .fuzz
