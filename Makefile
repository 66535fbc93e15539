# The two-command promise: `make run` serves the bank with demo data on SQLite; `make test` runs everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: install run test test-deps lint check bench clean translations

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app app db upgrade
	CREDITBANK_DEMO=true $(BIN)/flask --app app demo init
	CREDITBANK_DEMO=true $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - 'app:create_app()'

test-deps:
	bash scripts/test-deps.sh

test: $(STAMP)
	bash scripts/test.sh $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

check: lint
	$(BIN)/flask --app app db check

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

# Re-extract the page strings into translations/zh_Hans_CN/LC_MESSAGES/messages.po and compile the .mo (committed).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ --no-location -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l zh_Hans_CN --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations -l zh_Hans_CN

clean:
	rm -rf $(VENV) .pytest_cache tests/interop/node/node_modules
