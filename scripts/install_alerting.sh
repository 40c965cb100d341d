#!/usr/bin/env bash
# Install Prometheus Alertmanager and Pushgateway (with amtool), and promtool (Debian's `prometheus`
# package, for `promtool test rules` of deploy/prometheus/), from Debian's archive when missing.
#
# Idempotent: installs only the packages whose binary is missing. The packages' services are not
# started: `ytempire-ops local up` starts its own Alertmanager and Pushgateway in the stack's
# directory, and the project runs no Prometheus server (promtool is all it uses of that package).
# Without root it says what to run and exits 1; the rest of the stack works without them.
#
# Environment:
#   YTEMPIRE_ALERTMANAGER_BIN   Alertmanager binary (default /usr/bin/prometheus-alertmanager)
#   YTEMPIRE_PUSHGATEWAY_BIN    Pushgateway binary (default /usr/bin/prometheus-pushgateway)
#   YTEMPIRE_PROMTOOL_BIN       promtool (default /usr/bin/promtool)
set -euo pipefail

say() { printf 'install-alerting: %s\n' "$*"; }

alertmanager=${YTEMPIRE_ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}
pushgateway=${YTEMPIRE_PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}
promtool=${YTEMPIRE_PROMTOOL_BIN:-/usr/bin/promtool}
packages=()
[ -x "$alertmanager" ] || packages+=(prometheus-alertmanager)
[ -x "$pushgateway" ] || packages+=(prometheus-pushgateway)
[ -x "$promtool" ] || packages+=(prometheus)

if [ "${#packages[@]}" = 0 ]; then
    say "Alertmanager, Pushgateway and promtool are installed; nothing to do."
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "missing: ${packages[*]}; install them with: sudo apt-get install ${packages[*]}"
    exit 1
fi
command -v apt-get >/dev/null || { say "apt-get not found; install ${packages[*]} by other means."; exit 1; }

# A policy that forbids starting services while the packages install (invoke-rc.d reads it).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

say "installing ${packages[*]} from Debian's archive (their services are not started)"
apt-get update -qq >/dev/null || say "apt-get update failed; trying with the cached package lists"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for binary in "$alertmanager" "$pushgateway" "$promtool"; do
    say "installed: $("$binary" --version 2>&1 | head -1)"
done
