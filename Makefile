# Two entry points for people: `make demo` and `make test`. Both go through `make install`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test clean bench

install: $(STAMP)

# Re-installs only when the project metadata changes; the package itself is editable.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

demo: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m gradeloop.demo

test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -n 2

clean:
	rm -rf $(VENV) .gradeloop
