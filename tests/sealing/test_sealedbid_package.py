"""The sealedbid package stands alone: it imports only the standard library, pycryptodome (Crypto), optionally
`cryptography`, and itself. Fast and offline; test_standalone_cli.py proves it in a fresh venv."""

import ast
import sys

from tests.sealing.conftest import ROOT

ALLOWED = {"Crypto", "cryptography"}


def test_sealedbid_imports_nothing_of_the_platform_nor_django():
    found = {}
    for path in sorted((ROOT / "sealedbid").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED and top not in sys.stdlib_module_names:
                    found.setdefault(path.name, []).append(name)
    assert found == {}


def test_the_platform_uses_the_one_canonical_json():
    import sealedbid.canonical
    from ledger import canonical

    assert canonical.canonical_json is sealedbid.canonical.canonical_json
    assert canonical.parse_canonical is sealedbid.canonical.parse_canonical
    assert not (ROOT / "trading" / "sealing").exists()
