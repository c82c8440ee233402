#!/usr/bin/env bash
# Make sure the Debian packages the platform needs are present:
#   chromium (browser tests), fonts-wqy-microhei (CJK font embedded in PDFs),
#   poppler-utils (pdftotext/pdffonts/pdfsig to check PDFs), gettext (msgfmt for translations).
# Installs them when missing and the machine allows it (root + apt); otherwise stops with the command.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
command -v pdfsig >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
  echo "system packages installed"
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Run as root:  $cmd" >&2
  exit 1
fi
