"""The settings `make run` serves with (scripts/local-env.sh): DEBUG off unless asked for, plain HTTP on this
machine, and the secrets DEBUG off requires, made once into VAR_DIR with mode 0600."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({"DEBUG": s.DEBUG, "SECRET_KEY": s.SECRET_KEY, "PKI_PASSPHRASE": s.PKI_PASSPHRASE,
                  "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
                  "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
                  "static": s.STORAGES["staticfiles"]["BACKEND"]}))
"""
UNSET = ["DEBUG", "HTTPS", "SECRET_KEY", "SECRET_KEY_FILE", "PKI_PASSPHRASE", "PKI_PASSPHRASE_FILE",
         "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS"]


def _settings(var_dir, *, local=True, **env):
    environ = {k: v for k, v in os.environ.items() if k not in UNSET}
    environ.update(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", **env)
    command = [sys.executable, "-c", SHOW]
    if local:
        command = ["bash", "scripts/local-env.sh", *command]
    out = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_make_run_serves_with_debug_off_over_plain_http_with_secrets_made_once(tmp_path):
    served = _settings(tmp_path)

    assert served["DEBUG"] is False
    assert (served["SESSION_COOKIE_SECURE"], served["CSRF_COOKIE_SECURE"], served["SECURE_SSL_REDIRECT"]) == (
        False, False, False)
    assert {"127.0.0.1", "localhost"} <= set(served["ALLOWED_HOSTS"])
    assert served["static"] == "whitenoise.storage.CompressedStaticFilesStorage"
    for name, setting in [("secret_key", "SECRET_KEY"), ("pki_passphrase", "PKI_PASSPHRASE")]:
        secret = tmp_path / name
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert served[setting] == secret.read_text().strip()
        assert len(served[setting]) == 64
    assert served["SECRET_KEY"] != served["PKI_PASSPHRASE"]

    # Made once: the next start keeps sessions and the platform PKI readable, and so does DEBUG=true
    # (settings.py's development fallback reads the same files).
    again = _settings(tmp_path)
    debug = _settings(tmp_path, DEBUG="true")
    debug_without_script = _settings(tmp_path, local=False, DEBUG="true")
    for other in (again, debug, debug_without_script):
        assert (other["SECRET_KEY"], other["PKI_PASSPHRASE"]) == (served["SECRET_KEY"], served["PKI_PASSPHRASE"])
    assert debug["DEBUG"] is True


def test_secrets_given_by_the_operator_win(tmp_path):
    served = _settings(tmp_path, SECRET_KEY="from-the-environment-" * 3, PKI_PASSPHRASE="operator passphrase")

    assert (served["SECRET_KEY"], served["PKI_PASSPHRASE"]) == ("from-the-environment-" * 3, "operator passphrase")
    assert served["DEBUG"] is False
