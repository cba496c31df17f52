#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) exist for the throw-away cluster the
# integration tests start (scripts/local-infra/postgres-cluster.js): installs Debian's `postgresql` package
# with apt-get when there is no /usr/lib/postgresql/*/bin/initdb. A no-op when they exist, or when
# DATABASE_URL points the tests at an existing server. Needs root (or sudo) to install.
set -euo pipefail
# shellcheck source=lib/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

found=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$found" ]; then
  echo "ensure-postgres: found $found; nothing to install"
  exit 0
fi
if [ -n "${DATABASE_URL:-}" ]; then
  echo "ensure-postgres: DATABASE_URL is set, so the tests use that server; nothing to install"
  exit 0
fi
APT_NO_APT_GET=(
  "no PostgreSQL server binaries under /usr/lib/postgresql and no apt-get to install them."
  "install PostgreSQL's server package, or set DATABASE_URL=postgres://user:password@host:port/database."
)
APT_NO_ROOT=(
  "installing PostgreSQL needs root: run this script as root,"
  "or set DATABASE_URL=postgres://user:password@host:port/database to use an existing server."
)
apt_install ensure-postgres "no /usr/lib/postgresql/*/bin/initdb" postgresql

found=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$found" ]; then
  echo "ensure-postgres: installed postgresql, but there is still no /usr/lib/postgresql/*/bin/initdb" >&2
  exit 1
fi
echo "ensure-postgres: installed; using $found"
