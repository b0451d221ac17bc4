#!/usr/bin/env bash
# Installs the pgvector extension into the machine's PostgreSQL when it is missing.
# Debian bookworm ships no pgvector package, so it is built from Debian trixie's *source*
# package (binary packages from trixie would pull a newer libc).
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-postgres}
if psql -h "$PGHOST" -U "$PGUSER" -tAc "select 1 from pg_available_extensions where name='vector'" | grep -q 1; then
  echo "pgvector: already available"
  exit 0
fi

pgmajor=$(ls /etc/postgresql | sort -n | tail -n 1)
sources=/etc/apt/sources.list.d/pulse-trixie-src.sources
if [ ! -f "$sources" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  cat >"$sources" <<SRC
Types: deb-src
URIs: ${mirror}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-${pgmajor}" build-essential dpkg-dev >/dev/null
work=$(mktemp -d)
(
  cd "$work"
  apt-get source -qq pgvector >/dev/null
  cd pgvector-*/
  make -s PG_CONFIG="/usr/lib/postgresql/${pgmajor}/bin/pg_config"
  make -s install PG_CONFIG="/usr/lib/postgresql/${pgmajor}/bin/pg_config"
)
rm -rf "$work"
echo "pgvector: installed for PostgreSQL ${pgmajor}"
