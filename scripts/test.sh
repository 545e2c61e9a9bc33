#!/usr/bin/env bash
# The checks (lint, format, types, layering), then the suite on SQLite, then on PostgreSQL when
# one answers at COHORTBOT_TEST_POSTGRES_URL. Arguments go to pytest.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== checks: ruff, ruff format, mypy, import contracts =="
$BIN/ruff check . || exit $?
$BIN/ruff format --check . || exit $?
$BIN/mypy || exit $?
$BIN/lint-imports || exit $?
PG_URL="${COHORTBOT_TEST_POSTGRES_URL:-postgresql://127.0.0.1:5432/test}"

if $BIN/python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
then pg=1; else pg=0; fi

if [ "$pg" = 1 ]; then
  echo "== pass 1/2: SQLite =="
  COHORTBOT_TEST_DATABASE=sqlite $BIN/python -m pytest -m "not postgres" "$@" || exit $?
  echo "== pass 2/2: PostgreSQL at $PG_URL =="
  COHORTBOT_TEST_DATABASE=postgresql COHORTBOT_TEST_POSTGRES_URL="$PG_URL" $BIN/python -m pytest "$@" || exit $?
else
  echo "== SQLite only: PostgreSQL at $PG_URL does not answer; PostgreSQL tests are skipped =="
  COHORTBOT_TEST_DATABASE=sqlite $BIN/python -m pytest "$@" || exit $?
fi
