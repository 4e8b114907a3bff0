# Studio: `make run` starts everything, `make test` runs every check. Both set themselves up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run scale-out test setup lint benchmark clean

# constraints.txt pins every package (reproducible installs); pyproject.toml says what the studio needs.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -c constraints.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

# `make run PORT=8400`: the studio on that port, the vendor simulator on PORT+100, the demo accounts pointed there.
PORT ?= 8000
SIMULATOR_PORT ?= $(shell echo $$(( $(PORT) + 100 )))
run: export SIMULATOR_URL ?= http://127.0.0.1:$(SIMULATOR_PORT)
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(PY) manage.py runstudio --addr 127.0.0.1:$(PORT)

# The scale-out layout on this machine: PostgreSQL (DATABASE_URL, default database 'studio' on 127.0.0.1),
# Redis (REDIS_URL), an S3 store on loopback and two workers.
scale-out: $(VENV)/.installed
	$(PY) manage.py runstudio --scale-out

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# Browser tests need Debian's chromium. Without it they are left out, loudly, unless REQUIRE_BROWSER=1 (CI).
CHROMIUM_PATH ?= /usr/bin/chromium
test: $(VENV)/.installed lint
	$(PY) manage.py makemigrations --check --dry-run
	@if [ -x "$(CHROMIUM_PATH)" ] || [ -n "$(REQUIRE_BROWSER)" ]; then \
		$(VENV)/bin/pytest $(PYTEST_ARGS); \
	else \
		echo "NOTE: no chromium at $(CHROMIUM_PATH): browser tests left out (sudo apt-get install chromium)."; \
		$(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS); \
	fi

benchmark: setup
	$(PY) manage.py benchmark upload

clean:
	rm -rf $(VENV) var
