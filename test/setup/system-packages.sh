#!/usr/bin/env bash
# Installs the Debian packages the test suites use when they are missing: a real InfluxDB server,
# OpenSSL's command-line tool (s_server/s_client, the TLS baseline's fidelity test), tcpdump (the
# fidelity test checks the TLS bytes it counts against a loopback capture),
# socat (pseudo-terminals for the serial-path board tests and the emulated board's serial port),
# Chromium (the HTML report test), docker-compose (validates docker/compose.yaml without a
# Docker engine) and libjemalloc2 (the allocator of the processes gridbench starts for large runs,
# bench/cli/allocator.ts; a library, so it is looked for where Debian puts it). The emulated
# board's firmware is not a Debian package: its tests fetch it from the npm registry
# (`npx gridbench boards firmware`, nodes/boards/README.md), so no gcc-avr.
set -euo pipefail
declare -A binary_of=([influxdb]=influxd [openssl]=openssl [tcpdump]=tcpdump [socat]=socat [chromium]=chromium [docker-compose]=docker-compose)
declare -A library_of=([libjemalloc2]=libjemalloc.so.2)
missing=()
for pkg in "${!binary_of[@]}"; do
  command -v "${binary_of[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
for pkg in "${!library_of[@]}"; do
  compgen -G "/usr/lib/*-linux-gnu/${library_of[$pkg]}" >/dev/null || compgen -G "/usr/lib*/${library_of[$pkg]}" >/dev/null || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "gridbench: installing Debian packages the tests need: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "gridbench: the tests need the Debian packages: ${missing[*]}" >&2
echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
exit 1
