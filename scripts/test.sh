#!/usr/bin/env bash
# `npm test`: everything the suite needs on a fresh machine, then jest.
# - Debian's Chromium for the browser tests (installed when /usr/bin/chromium is missing);
# - a real PostgreSQL on loopback for the feedback store tests, unless TEST_DATABASE_URL names one
#   (installed and started when missing; a role and database `backpain_test`);
# - jest, with its JSON report in $TEST_REPORT (default test-results/jest.json) so .ci/run can count;
#   with TEST_CLOCK_OFFSET (e.g. +400d) jest and everything it starts see the wall clock moved by
#   that much (Debian's libfaketime; the monotonic clock stays real, so timers behave).
# Extra arguments go to jest: `npm test -- test/unit` runs the unit tests only.
# Installing needs root or sudo; without either, the script says what is missing and stops.
set -uo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
need_package() { # command-or-path package
  if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "npm test: $2 is missing and this user cannot install it (not root, no sudo): apt-get install $2" >&2
    return 1
  fi
  echo "== installing $2"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -q >/dev/null && apt_updated=1 || return 1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$2" >/dev/null
}

need_package /usr/bin/chromium chromium || exit 1

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  need_package pg_ctlcluster postgresql || exit 1
  pgver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$pgver" ] || { echo "npm test: no PostgreSQL cluster found under /etc/postgresql" >&2; exit 1; }
  $sudo pg_ctlcluster "$pgver" main start 2>/dev/null || $sudo pg_ctlcluster "$pgver" main status >/dev/null || {
    echo "npm test: PostgreSQL $pgver did not start" >&2
    exit 1
  }
  $sudo su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL' || exit 1
SELECT 'CREATE ROLE backpain LOGIN PASSWORD ''backpain''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backpain')\gexec
SELECT 'CREATE DATABASE backpain_test OWNER backpain' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'backpain_test')\gexec
SQL
  export TEST_DATABASE_URL=postgres://backpain:backpain@127.0.0.1:5432/backpain_test
fi

clock=()
if [ -n "${TEST_CLOCK_OFFSET:-}" ]; then
  lib_glob='/usr/lib/*/faketime/libfaketimeMT.so.1'
  compgen -G "$lib_glob" >/dev/null || need_package faketime faketime || exit 1
  lib=$(compgen -G "$lib_glob" | head -1)
  [ -n "$lib" ] || { echo "npm test: libfaketime not found ($lib_glob)" >&2; exit 1; }
  # The library itself, not the `faketime` wrapper: the wrapper shares a semaphore that processes
  # running as another user (the image test's unprivileged service) may not open.
  clock=(env LD_PRELOAD="$lib" FAKETIME="$TEST_CLOCK_OFFSET" FAKETIME_DONT_FAKE_MONOTONIC=1)
  echo "== the wall clock moved by $TEST_CLOCK_OFFSET for this run"
fi

report="${TEST_REPORT:-test-results/jest.json}"
mkdir -p "$(dirname "$report")"
rm -f "$report"
NODE_OPTIONS="--experimental-vm-modules --experimental-websocket ${NODE_OPTIONS:-}" "${clock[@]}" npx jest --json --outputFile="$report" "$@"
