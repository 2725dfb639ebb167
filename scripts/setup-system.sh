#!/usr/bin/env bash
# System packages the tests need, from Debian's package mirror (CI runs as root on Debian; .ci/run
# calls this). Today: docker-compose (Debian's, 1.29), which validates docker-compose.yml without
# a Docker daemon (test/integration/docker-compose.test.ts). Does nothing when it is there.
set -euo pipefail
if command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose: $(docker-compose version --short)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-compose is missing: run as root (or: sudo apt-get install docker-compose)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (unattended upgrades) instead of failing at once.
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends docker-compose
echo "docker-compose: $(docker-compose version --short)"
