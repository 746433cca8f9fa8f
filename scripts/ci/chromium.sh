#!/usr/bin/env bash
# Provisioner (sourced by scripts/test.sh; also runnable alone): Debian's chromium for the
# dashboard's browser tests (tests/web). Installs it only when /usr/bin/chromium is missing;
# no browser is ever downloaded by Playwright. Exports RW_TEST_CHROMIUM for the tests.
# Nothing is started, so there is nothing to clean up.

_rw_provision_chromium() {
  local bin=/usr/bin/chromium
  if [ ! -x "$bin" ]; then
    echo "== chromium: installing Debian's chromium package"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local log
    if ! log=$( { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
                  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium; } 2>&1 ); then
      echo "$log" | tail -n 20 >&2
      echo "== chromium: install FAILED; the browser tests fail under CI and skip locally" >&2
      return 0
    fi
  fi
  export RW_TEST_CHROMIUM="$bin"
  echo "== chromium: $("$bin" --version 2>/dev/null || echo "$bin")"
}

_rw_provision_chromium
