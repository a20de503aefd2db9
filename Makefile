# kcore: the two commands are `make demo` and `make test`; both set everything up themselves.
#
# Two install levels, each one pip call, each remembered by a stamp file in .venv:
#   demo  kcore (+ its `demo` extra) and the plugins the demo trains with, with their runtime
#         dependencies only: what a first `make demo` needs, nothing for the tests.
#   test  every plugin under plugins/, each with its own `[test]` extra, and kcore's `[test]`
#         extra. A plugin's test-only dependencies live in its own `[test]` extra, so they
#         never slow `make demo`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
DEMO_STAMP := $(VENV)/.kcore-demo-installed
TEST_STAMP := $(VENV)/.kcore-test-installed
PLUGIN_DIRS  := $(sort $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml)))
# The plugins examples/demo.py uses (its REQUIRED_CALLBACKS and W&B logging).
DEMO_PLUGINS := checkpoint csvlogger earlystopping lr tensorboard wandb
PYTEST_ARGS ?=
# Everything the demo, the examples and the tests write inside the tree (see .gitignore).
OUTPUTS := demo_output examples/output runs logs wandb checkpoints build dist

.PHONY: install install-demo test demo bench docs clean

install: $(TEST_STAMP)
install-demo: $(DEMO_STAMP)

# setuptools goes into the venv first so that the editable builds run in it
# (--no-build-isolation): one build environment instead of one per distribution halves the
# install's CPU time.
$(DEMO_STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) 'setuptools>=68'
	$(PIP) --no-build-isolation -e '.[demo]' $(foreach p,$(DEMO_PLUGINS),-e plugins/$(p))
	touch $@

$(TEST_STAMP): $(DEMO_STAMP)
	$(PIP) --no-build-isolation -e '.[test]' $(foreach d,$(PLUGIN_DIRS),-e '$(d)[test]')
	touch $@

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: $(DEMO_STAMP)
	$(BIN)/python examples/demo.py

bench: $(TEST_STAMP)
	$(BIN)/python -c "import torch" 2>/dev/null || \
		$(PIP) torch==2.13.0
	$(BIN)/python benchmarks/run.py

docs: $(TEST_STAMP)
	$(BIN)/python docs/generate_api.py

clean:
	rm -rf $(VENV) $(OUTPUTS) *.egg-info plugins/*/src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
