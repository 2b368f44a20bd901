# Thin wrappers over dev.py, which needs only python3 (see README).
.PHONY: help install run lint test test-pg bench lock image

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install:  ## create .venv with the locked dependencies (runtime and development)
	python3 dev.py install

run:  ## run the service (the local simulator without a token)
	python3 dev.py run

lint:  ## ruff and mypy --strict
	python3 dev.py lint

test:  ## lint, then the tests on SQLite
	python3 dev.py test

test-pg:  ## the tests on the local PostgreSQL as well
	python3 dev.py test --no-lint --database postgresql+psycopg://postgres@127.0.0.1:5432/test

bench:  ## the benchmarks in bench/ (loop, notice, classify)
	python3 dev.py bench loop
	python3 dev.py bench classify
	python3 dev.py bench notice

lock:  ## re-pin requirements.lock (runtime) and requirements-dev.lock after editing pyproject.toml
	python3 dev.py lock

image:  ## build the container image linli:latest (needs a Docker engine; see deploy/README.md)
	docker build -f deploy/Dockerfile -t linli:latest .
