"""The apps import one way (docs/architecture.md §1): accounts <- ledger, records <- trading <- evaluation
<- realtime consumers, and an action never imports a tasks module (it enqueues by name through
accounts/background.py; tasks import actions). Read from the source with ast, function-local imports
included, so a lazy import inside a function cannot hide a circle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lower number = lower layer: an app may import its own layer and those below it.
LAYERS = {"accounts": 0, "ledger": 1, "records": 2, "trading": 3, "evaluation": 4, "service": 5, "realtime": 6}
# realtime's transport (events sent after commit, group names, the stored streams, the socket protocol)
# sits below every app: actions send events through it. It must import no app.
TRANSPORT = {"realtime", "realtime.events", "realtime.groups", "realtime.models", "realtime.protocol"}
# Edges against the layers that are part of the design, (importing app, imported module), with the reason.
ALLOWED = {
    ("accounts", "ledger.chain"),  # every action appends to the trading log, accounts' actions too
}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(module, path):
    """(line, imported module) for every import in the file, at any depth; `from a import b` also
    means a.b when b is a module, so `from realtime import groups` counts as realtime.groups."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield node.lineno, sub if _is_module(sub) else target


def _is_module(name):
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _sources():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield _module_name(path), path


def _is_actions(module):
    return module.split(".")[1:2] == ["actions"]


def _is_tasks(module):
    return module.split(".")[-1] == "tasks" or ".tasks." in f"{module}."


def _violations(sources):
    found = []
    for module, path in sources:
        app = module.split(".")[0]
        for line, target in _imports(module, path):
            where = f"{module}:{line} imports {target}"
            other = target.split(".")[0]
            if _is_actions(module) and other in LAYERS and _is_tasks(target):
                found.append(f"{where}: an action enqueues by name (accounts.background), never imports tasks")
            if other not in LAYERS or other == app or target in TRANSPORT or (app, target) in ALLOWED:
                continue
            if module in TRANSPORT:
                found.append(f"{where}: realtime's transport imports no app")
            elif LAYERS[other] > LAYERS[app]:
                found.append(f"{where}: {app} is below {other}")
    return found


def test_apps_import_one_way():
    assert _violations(_sources()) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    from ..tasks import open_bids_task\n", "an action enqueues by name"),
        ("from trading.tasks import open_bids_task\n", "an action enqueues by name"),
        ("from evaluation.models import Draw\n", "trading is below evaluation"),
        ("def f():\n    import realtime.opening_consumer\n", "trading is below realtime"),
    ],
)
def test_the_check_catches(tmp_path, source, expected):
    """The check itself sees a violation, local imports included (read as a module of trading.actions)."""
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    assert [v for v in _violations([("trading.actions.probe", probe)]) if expected in v]
    assert _violations([("trading.actions.probe", ROOT / "trading" / "actions" / "receipt_pdf.py")]) == []


def test_tasks_resolve_by_name():
    """Every name an action enqueues is registered by its app's tasks module, under django-tasks' path."""
    from accounts.background import task_named

    names = set()
    for _module, path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "enqueue" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    assert {"trading.open_bids", "records.produce_record", "evaluation.session_report"} <= names
    for name in names:
        task = task_named(name)
        assert task.module_path.startswith(name.split(".")[0] + ".tasks.")
    with pytest.raises(LookupError):
        task_named("trading.no_such_task")
    with pytest.raises(LookupError):
        task_named("nowhere.some_task")
