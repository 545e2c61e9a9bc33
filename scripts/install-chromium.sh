#!/usr/bin/env bash
# Install Debian's chromium for the browser tests when we are root on a Debian-like machine.
# Playwright's own browser download can't work offline, so the tests use /usr/bin/chromium.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and cannot install it here (need root and apt-get); browser tests will skip"
  exit 0
fi
echo "chromium: installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null 2>&1 \
  || echo "chromium: apt-get install failed; browser tests will skip"
exit 0
