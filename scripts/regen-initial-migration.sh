#!/usr/bin/env bash
# Until the first release, the schema is one initial migration regenerated from the models.
# After a release, add migrations with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_initial.py
.venv/bin/python - "$tmp/empty.db" <<'PY'
import sys
from alembic import command
from storage.migrate import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}")
command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
PY
mv storage/migrations/versions/0001_initial.py storage/migrations/versions/0001_initial.py 2>/dev/null || true
f=$(ls storage/migrations/versions/0001_*.py)
[ "$f" = storage/migrations/versions/0001_initial.py ] || mv "$f" storage/migrations/versions/0001_initial.py
.venv/bin/ruff format -q storage/migrations/versions/0001_initial.py || true
.venv/bin/ruff check -q --fix storage/migrations/versions/0001_initial.py || true
rm -rf "$tmp"
echo "regenerated storage/migrations/versions/0001_initial.py"
