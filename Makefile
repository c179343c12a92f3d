# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv (if missing) and install coachkit with what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.coachkit-installed

.PHONY: demo test install dashboard hub hub-proxy bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/coachkit demo

test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-sanitize-with tests/nbval-sanitize.cfg

dashboard: $(STAMP)
	$(BIN)/coachkit dashboard

# JupyterHub's proxy comes from npm (Node.js 20+, Debian 13 or NodeSource); `make hub` runs the demo Hub on
# 127.0.0.1:8000 (sign in as allen, principal.pena, 100001 or guardian.sanchez,
# password coachkit-demo).
hub-proxy:
	command -v configurable-http-proxy >/dev/null || npm install -g configurable-http-proxy@5.3.0

hub: $(STAMP) hub-proxy
	$(BIN)/coachkit serve --data sample_data/district --roles sample_data/roles-demo.toml --port 8000

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf reports showcase .pytest_cache
