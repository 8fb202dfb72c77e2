#!/usr/bin/env bash
# Run MySay's tests on a fresh machine: makes the virtualenv, installs the project with its test
# extras, makes sure PostgreSQL is up (when this machine has it), then runs pytest.
# Extra arguments go to pytest, for example: bash scripts/test.sh -k onboarding
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

# PostgreSQL: used when TEST_DATABASE_URL is set, or found running here on 127.0.0.1:5432.
if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    export TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
  fi
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL tests: on (${TEST_DATABASE_URL%%@*}@…)"
else
  echo "PostgreSQL tests: off (no TEST_DATABASE_URL and no local server); SQLite only"
fi

# Both cores: each worker has its own databases, fake Bot API and ports.
exec .venv/bin/python -m pytest -n "${MYSAY_TEST_WORKERS:-2}" "$@"
