#!/usr/bin/env bash
# Debian packages the test suite drives for real: Chromium (browser tests, through Playwright), nginx-light (the
# production proxy in front of daphne) and poppler-utils (pdftotext reads the PDFs the warehouse writes).
# Installs only what is missing; fails loudly, naming the packages, when it cannot.
set -euo pipefail
PACKAGES=(chromium nginx-light poppler-utils)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  echo "ERROR: could not install ${missing[*]} (apt-get as root): the browser, proxy and PDF tests need them" >&2
  exit 1
fi
