# kcore: the two commands are `make demo` and `make test`; both set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kcore-installed
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
PYTEST_ARGS ?=

.PHONY: install test demo bench docs clean

install: $(STAMP)

# One pip call installs kcore, every plugin distribution (editable) and the test tools.
$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e '.[test]' $(foreach d,$(PLUGIN_DIRS),-e $(d))
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: install
	$(BIN)/python examples/demo.py

bench: install
	$(BIN)/python -c "import torch" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python benchmarks/run.py

docs: install
	$(BIN)/python docs/generate_api.py

clean:
	rm -rf $(VENV) build *.egg-info demo_output
