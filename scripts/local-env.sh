#!/usr/bin/env bash
# Runs a command in the environment of `make run`: the platform served on this machine over plain HTTP.
#   - DEBUG off unless DEBUG=true is given (development: debug pages, no static-file compression);
#   - HTTPS=false: no redirect to https, cookies not marked Secure (http://127.0.0.1 has no TLS);
#   - the secrets DEBUG off requires, made once into VAR_DIR (default var/) as files of mode 0600 and
#     passed as SECRET_KEY_FILE and PKI_PASSPHRASE_FILE. They are the very files settings.py makes
#     when DEBUG is on, so switching DEBUG keeps sessions and the platform PKI readable.
# Values already in the environment win (SECRET_KEY, SECRET_KEY_FILE, HTTPS, ...).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
var="${VAR_DIR:-$root/var}"
mkdir -p "$var"
for name in secret_key pki_passphrase; do
  if [ ! -s "$var/$name" ]; then
    tmp="$(mktemp "$var/.$name.XXXXXX")"  # mode 0600
    head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$tmp"
    mv -n "$tmp" "$var/$name"  # -n: a concurrent first run that got there before us wins
    rm -f "$tmp"
  fi
done
export VAR_DIR="$var" DEBUG="${DEBUG:-false}" HTTPS="${HTTPS:-false}"
export SECRET_KEY_FILE="${SECRET_KEY_FILE:-$var/secret_key}" PKI_PASSPHRASE_FILE="${PKI_PASSPHRASE_FILE:-$var/pki_passphrase}"
exec "$@"
