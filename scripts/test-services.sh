#!/usr/bin/env bash
# Makes sure the services the test suite needs are there: PostgreSQL (started when installed
# but stopped), Debian's Chromium for the browser tests, Debian's Dovecot for the IMAP tests and
# Debian's slapd (+ the headers python-ldap builds against) for the directory tests and
# Debian's redis-server for the Redis-mode tests
# (installed with apt-get when missing; never a download from elsewhere; the tests start their
# own Dovecot and slapd on free ports). With --postgres-available it only answers whether
# PostgreSQL can be used, and fails when CI=true and it cannot.
set -uo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null || python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
}

start_postgres() {
  pg_up && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 20); do pg_up && return 0; sleep 0.5; done
  fi
  return 1
}

# --ldap-headers: only the libraries python-ldap (the `ldap` extra) builds against; `make install`
# runs it before pip, since python-ldap is published as source only.
if [ "${1:-}" = "--ldap-headers" ]; then
  if [ ! -e /usr/include/ldap.h ] || [ ! -e /usr/include/sasl/sasl.h ]; then
    echo "Installing libldap2-dev and libsasl2-dev (python-ldap builds against them)…"
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libldap2-dev libsasl2-dev >/dev/null \
      || { echo "Could not install libldap2-dev and libsasl2-dev with apt-get." >&2; exit 1; }
  fi
  if [ ! -x /usr/bin/redis-server ]; then
  echo "Installing Debian's Redis server for the Redis-mode tests (they start their own)…"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null \
    || { echo "Could not install redis-server with apt-get." >&2; [ "${CI:-}" = "true" ] && exit 1; }
fi
exit 0
fi

if [ "${1:-}" = "--postgres-available" ]; then
  if start_postgres; then exit 0; fi
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is required in CI (CI=true) and is not reachable on $PG_HOST:$PG_PORT." >&2
    exit 2
  fi
  exit 1
fi

start_postgres || echo "note: PostgreSQL not reachable; the PostgreSQL run will be skipped." >&2

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's Chromium for the browser tests…"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    || { echo "Could not install chromium with apt-get." >&2; [ "${CI:-}" = "true" ] && exit 1; }
fi
if [ ! -x /usr/sbin/dovecot ]; then
  echo "Installing Debian's Dovecot IMAP server for the e-mail tests…"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dovecot-imapd >/dev/null \
    || { echo "Could not install dovecot-imapd with apt-get." >&2; [ "${CI:-}" = "true" ] && exit 1; }
fi
if [ ! -x /usr/sbin/slapd ] || [ ! -x /usr/bin/ldapsearch ] || [ ! -e /usr/include/ldap.h ] || [ ! -e /usr/include/sasl/sasl.h ]; then
  echo "Installing Debian's OpenLDAP server and the libraries python-ldap builds against…"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slapd ldap-utils libldap2-dev libsasl2-dev >/dev/null \
    || { echo "Could not install slapd, ldap-utils, libldap2-dev and libsasl2-dev with apt-get." >&2; [ "${CI:-}" = "true" ] && exit 1; }
fi
if [ ! -x /usr/bin/redis-server ]; then
  echo "Installing Debian's Redis server for the Redis-mode tests (they start their own)…"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null \
    || { echo "Could not install redis-server with apt-get." >&2; [ "${CI:-}" = "true" ] && exit 1; }
fi
exit 0
