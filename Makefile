# The two commands of the README. Everything is installed by these targets: a fresh machine needs
# only Python 3.11, Go 1.26 (for the local control plane) and apt (for rclone, buildah, docker-registry).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: example test install install-test

$(BIN)/nautiform: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# compat mode puts the source tree on sys.path with a .pth line: no import hook to load at start-up
	$(BIN)/pip install --quiet -e . --config-settings editable_mode=compat
	# byte-compile as a normal install does (saves ~20 ms per run where PYTHONDONTWRITEBYTECODE is set)
	$(BIN)/python -m compileall -q compiler
	@touch $@

install: $(BIN)/nautiform

# 1. Install nautiform and compile the example into generated/.
example: install
	$(BIN)/nautiform compile project.example.yaml

install-test: install
	$(BIN)/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	tests/data/install-deps
	tests/pipeline/install-deps

# 2. Install everything and run every test.
test: install-test
	$(BIN)/pytest tests -q -p no:cacheprovider
