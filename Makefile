# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run run-teams playground test install lock browser lint typecheck migrate demo bench clean

# Installs exactly what requirements.lock pins (with hashes), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Pin what pyproject.toml asks for (`make lock UPGRADE=--upgrade` takes newer releases); commit the lock.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet $(UPGRADE) -o requirements.lock

## Debian's chromium for the browser tests (root + apt only; otherwise those tests skip with a reason)
browser:
	@bash scripts/install-chromium.sh

migrate: install
	$(BIN)/cohortbot db upgrade

## Start the bot. Without Slack credentials it starts the local emulator with a demo programme.
run: install
	$(BIN)/cohortbot db upgrade
	$(BIN)/cohortbot run

## The same, with Teams in dev mode: /api/messages without credentials, loopback callers only.
run-teams: install
	$(BIN)/cohortbot db upgrade
	COHORTBOT_TEAMS=dev $(BIN)/cohortbot run

## The Microsoft 365 Agents Playground (npm, into .tools/playground) on the running bot, as a
## demo person: `make playground AS=staff|participant|manager`. Needs Node.js.
AS ?= staff
PLAYGROUND := .tools/playground/node_modules/.bin/agentsplayground
playground: install
	@command -v npm >/dev/null || { echo "make playground needs Node.js and npm"; exit 1; }
	test -x $(PLAYGROUND) || npm install --prefix .tools/playground --no-save @microsoft/m365agentsplayground
	$(BIN)/python -m handlers.teams.playground $(AS) > .m365agentsplayground.yml
	$(PLAYGROUND) -e http://127.0.0.1:$${COHORTBOT_PORT:-3000}/api/messages -c msteams

## Lint, format, types and import contracts, then the suite on SQLite and again on PostgreSQL
## (127.0.0.1:5432/test) when one answers.
test: install browser
	@bash scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
