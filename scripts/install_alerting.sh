#!/usr/bin/env bash
# Install Prometheus Alertmanager and Pushgateway (with amtool) from Debian's archive when missing.
#
# Idempotent: does nothing when both binaries are there. The packages' services are not started:
# `ytempire-ops local up` starts its own Alertmanager and Pushgateway in the stack's directory.
# Without root it says what to run and exits 1; the rest of the stack works without them.
#
# Environment:
#   YTEMPIRE_ALERTMANAGER_BIN   Alertmanager binary (default /usr/bin/prometheus-alertmanager)
#   YTEMPIRE_PUSHGATEWAY_BIN    Pushgateway binary (default /usr/bin/prometheus-pushgateway)
set -euo pipefail

say() { printf 'install-alerting: %s\n' "$*"; }

alertmanager=${YTEMPIRE_ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}
pushgateway=${YTEMPIRE_PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}
packages=(prometheus-alertmanager prometheus-pushgateway)

if [ -x "$alertmanager" ] && [ -x "$pushgateway" ]; then
    say "Alertmanager and Pushgateway are installed; nothing to do."
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "Alertmanager or Pushgateway is missing; install them with: sudo apt-get install ${packages[*]}"
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
say "installed: $("$alertmanager" --version 2>&1 | head -1)"
say "installed: $("$pushgateway" --version 2>&1 | head -1)"
