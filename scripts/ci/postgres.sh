#!/usr/bin/env bash
# Provisioner (sourced by scripts/test.sh; also runnable alone with `source`): a throwaway
# PostgreSQL server for the tests. Uses the machine's server binaries (installs Debian's
# postgresql package only when initdb/pg_ctl are missing), runs them as a non-root OS user
# (initdb refuses root), keeps data in a temporary directory, listens on 127.0.0.1 only on a
# free port, and exports RW_TEST_POSTGRES_URL (a database the tests may use as an admin
# connection to create one fresh database per test). The cleanup stops the server and
# removes the directory. Without PostgreSQL the PostgreSQL tests skip locally and fail under CI.

_rw_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

_rw_pg_fail() {
  echo "== postgres: $1" >&2
  if [ -n "${CI:-}" ]; then
    echo "== postgres: CI is set, so PostgreSQL is required; stopping" >&2
    exit 1
  fi
  echo "== postgres: the PostgreSQL tests will skip" >&2
}

_rw_pg_stop() {
  [ -n "${_RW_PG_DIR:-}" ] || return 0
  if [ -f "$_RW_PG_DIR/data/postmaster.pid" ]; then
    $_RW_PG_AS "$_RW_PG_BIN/pg_ctl" -D "$_RW_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$_RW_PG_DIR"
  _RW_PG_DIR=""
}

_rw_provision_postgres() {
  local bin
  if ! bin=$(_rw_pg_bindir); then
    echo "== postgres: installing Debian's postgresql server package"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null 2>&1 || true
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null 2>&1 &&
       ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1; then
      _rw_pg_fail "install FAILED (no initdb/pg_ctl and apt-get could not install postgresql)"
      return 0
    fi
    bin=$(_rw_pg_bindir) || { _rw_pg_fail "installed, but initdb/pg_ctl are still missing"; return 0; }
  fi
  _RW_PG_BIN=$bin

  # initdb refuses to run as root: run the server as an unprivileged user.
  local user
  user=$(id -un)
  _RW_PG_AS=""
  if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    if ! id "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$user" ||
        { _rw_pg_fail "cannot create the OS user $user"; return 0; }
    fi
    _RW_PG_AS="runuser -u $user --"
  fi

  _RW_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/regwatch-pg.XXXXXX")
  chmod 755 "$_RW_PG_DIR"
  [ -z "$_RW_PG_AS" ] || chown "$user" "$_RW_PG_DIR"
  CLEANUPS+=(_rw_pg_stop)

  if ! $_RW_PG_AS "$bin/initdb" -D "$_RW_PG_DIR/data" -U regwatch --auth=trust -E UTF8 --locale=C.UTF-8 \
       >"$_RW_PG_DIR/initdb.log" 2>&1; then
    cat "$_RW_PG_DIR/initdb.log" >&2
    _rw_pg_fail "initdb FAILED"
    return 0
  fi

  # A free port: ask the kernel for one, then hand it to the server (a race with another
  # process is possible but harmless: pg_ctl then fails and we say so).
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Durability is irrelevant for a throwaway test server; fsync off keeps CREATE DATABASE fast.
  if ! $_RW_PG_AS "$bin/pg_ctl" -D "$_RW_PG_DIR/data" -l "$_RW_PG_DIR/server.log" -w -t 60 \
       -o "-h 127.0.0.1 -p $port -k $_RW_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
       start >/dev/null; then
    cat "$_RW_PG_DIR/server.log" >&2 || true
    _rw_pg_fail "pg_ctl start FAILED"
    return 0
  fi
  if ! $_RW_PG_AS "$bin/createdb" -h 127.0.0.1 -p "$port" -U regwatch regwatch_test; then
    _rw_pg_fail "createdb FAILED"
    return 0
  fi
  export RW_TEST_POSTGRES_URL="postgresql+psycopg://regwatch@127.0.0.1:$port/regwatch_test"
  echo "== postgres: $("$bin/postgres" --version) on 127.0.0.1:$port (data in $_RW_PG_DIR)"
}

_rw_provision_postgres
