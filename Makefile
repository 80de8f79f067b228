# The two commands of the README, and the small ones behind them.
.PHONY: run test setup setup-test lint generate bench screenshots clean

run: setup
	.venv/bin/civicpool up

test: setup-test lint
	.venv/bin/pytest --junitxml=test-results/junit.xml

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

# Regenerate protos' Python code, the Keycloak realm files, openapi.json and the Python SDK.
generate:
	.venv/bin/python scripts/generate.py

# The portal's pages as the browser tests see them, for the README (docs/screenshots).
screenshots: setup-test
	CIVICPOOL_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/portal -q

bench: setup-test
	.venv/bin/python bench/run.py

clean:
	rm -rf data test-results .pytest_cache .mypy_cache .ruff_cache
