#!/bin/bash
# Installs what bench/peers needs on Debian 12: NORM (NRL's libnorm, RFC 5740),
# Corosync with its CPG client library, nftables for random loss, python3 for
# the summary. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends libnorm-dev corosync libcpg-dev nftables iproute2 \
  util-linux python3 g++
# The package may start a corosync of its own on systems with systemd; the
# benchmark runs its own daemons inside network namespaces and needs none here.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet corosync 2>/dev/null; then
  systemctl stop corosync || true
fi
