#!/usr/bin/env bash
# Installs every Debian package ecap-dr needs to build and test. Idempotent:
# installs only what is missing, and runs `apt-get update` only then.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds the peers: restic, borgbackup)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config g++
  libssl-dev libzstd-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpq-dev libcurl4-openssl-dev libpugixml-dev librdkafka-dev kcat libldns-dev libsqlite3-dev
  libcctz-dev tzdata libsystemd-dev
  postgresql-15 postgresql-client-15
  zstd ca-certificates curl libcpp-httplib-dev
  radosgw ceph-mon ceph-osd
  bind9 bind9-utils bind9-dnsutils etcd-server python3-aiosmtpd prometheus-alertmanager prometheus systemd
  chromium fonts-dejavu-core libcmark-dev libmstch-dev graphviz
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(restic borgbackup time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
