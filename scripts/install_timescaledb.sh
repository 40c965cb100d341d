#!/usr/bin/env bash
# Build and install TimescaleDB (Apache-2 edition) for the machine's PostgreSQL
# from Debian trixie's `timescaledb` source package.
#
# Idempotent: does nothing when the extension is already installed for the
# PostgreSQL found by pg_config. Never edits the system's apt lists: the trixie
# deb-src line lives in a temporary sources list with its own package index.
#
# Environment:
#   PG_CONFIG   pg_config of the target PostgreSQL (default: /usr/lib/postgresql/15/bin/pg_config)
#   TSDB_WORKDIR  where the source is fetched and built (default: a temporary directory)
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
say() { printf 'install-timescaledb: %s\n' "$*"; }
die() { printf 'install-timescaledb: %s\n' "$*" >&2; exit 1; }

[ -x "$PG_CONFIG" ] || die "pg_config not found at $PG_CONFIG; install postgresql-server-dev-15 or set PG_CONFIG."
sharedir=$("$PG_CONFIG" --sharedir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
pgmajor=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

if [ -f "$sharedir/extension/timescaledb.control" ] && ls "$pkglibdir"/timescaledb*.so >/dev/null 2>&1; then
    say "already installed for PostgreSQL $pgmajor ($(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" "$sharedir/extension/timescaledb.control")); nothing to do."
    exit 0
fi

[ "$(id -u)" = 0 ] || die "installing into $pkglibdir needs root; run it with sudo."
command -v apt-get >/dev/null || die "apt-get not found: this script builds from Debian's source package."

work=${TSDB_WORKDIR:-$(mktemp -d /tmp/ytempire-tsdb.XXXXXX)}
mkdir -p "$work/lists/partial" "$work/src"
cat > "$work/sources.list" <<LIST
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
LIST
apt_tmp=(-o "APT::Sandbox::User=root" -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
         -o "Dir::State::Lists=$work/lists" -o "APT::Get::List-Cleanup=0")

say "installing build tools (cmake, postgresql-server-dev-$pgmajor, dpkg-dev, libssl-dev)"
apt-get update -qq >/dev/null || say "apt-get update of the system lists failed; trying with what is cached"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    cmake make gcc "postgresql-server-dev-$pgmajor" dpkg-dev libssl-dev >/dev/null

say "fetching the trixie source package index into $work (system lists untouched)"
apt-get "${apt_tmp[@]}" update -qq >/dev/null
(cd "$work/src" && apt-get "${apt_tmp[@]}" source -qq timescaledb >/dev/null)
srcdir=$(find "$work/src" -maxdepth 1 -mindepth 1 -type d -name 'timescaledb-*' | head -n 1)
[ -n "$srcdir" ] || die "the timescaledb source package did not unpack under $work/src."
say "building $(basename "$srcdir") (Apache-2 edition) against $("$PG_CONFIG" --version)"

cd "$srcdir"
rm -rf build
./bootstrap -DAPACHE_ONLY=1 -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
    -DPG_CONFIG="$PG_CONFIG" >"$work/bootstrap.log" 2>&1 || die "bootstrap failed; see $work/bootstrap.log"
make -C build -j"$(nproc)" >"$work/build.log" 2>&1 || die "build failed; see $work/build.log"
make -C build install >"$work/install.log" 2>&1 || die "install failed; see $work/install.log"

[ -f "$sharedir/extension/timescaledb.control" ] || die "install finished but timescaledb.control is missing from $sharedir/extension."
say "installed TimescaleDB $(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" "$sharedir/extension/timescaledb.control") (license: apache) for PostgreSQL $pgmajor."
say "compression, retention/compression policies and continuous aggregates need Timescale's community build ('timescale' license)."
if [ -z "${TSDB_WORKDIR:-}" ]; then rm -rf "$work"; fi
