"""The layers as the README draws them: the service layer builds no SQL, and the unit of work
knows nothing of Telegram. Checked on the source (ast), so it stays that way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "bot" / "service"
# What the service layer may take from SQLAlchemy: the session, for type hints, and the
# errors the unit of work retries on or reports. Queries are written in bot/store.
ALLOWED = {"sqlalchemy.ext.asyncio": {"AsyncSession"}, "sqlalchemy.exc": None}  # None: any


def _sqlalchemy_imports(path: Path) -> list[str]:
    """Each SQLAlchemy name this file imports that the service layer may not, as
    "module.name" (with its line)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"{alias.name} (line {node.lineno})" for alias in node.names
                      if alias.name.split(".")[0] == "sqlalchemy"
                      and alias.name not in ALLOWED]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == \
                "sqlalchemy":
            module = node.module or ""
            allowed = ALLOWED.get(module, set())
            found += [f"{module}.{alias.name} (line {node.lineno})" for alias in node.names
                      if allowed is not None and alias.name not in allowed]
    return found


def test_the_service_layer_builds_no_sql() -> None:
    """bot/service/** calls store functions: no select/update/delete/insert/text, no
    sqlalchemy.orm or sqlalchemy.sql, only AsyncSession (and sqlalchemy.exc)."""
    offenders = {str(path.relative_to(ROOT)): names
                 for path in sorted(SERVICE.rglob("*.py"))
                 if (names := _sqlalchemy_imports(path))}
    assert offenders == {}, f"SQL belongs in bot/store: {offenders}"


def test_the_check_sees_a_query_builder(tmp_path: Path) -> None:
    """The check itself: an import of a query builder is caught, AsyncSession is not."""
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy\nfrom sqlalchemy import select, text\n"
                      "from sqlalchemy.ext.asyncio import AsyncSession\n"
                      "from sqlalchemy.exc import DBAPIError\n", encoding="utf-8")
    assert _sqlalchemy_imports(sample) == ["sqlalchemy (line 1)", "sqlalchemy.select (line 2)",
                                           "sqlalchemy.text (line 2)"]


def test_the_unit_of_work_knows_no_telegram() -> None:
    """The unit of work is shared by the webhook, long polling and the jobs: no Telegram."""
    tree = ast.parse((SERVICE / "unit_of_work.py").read_text(encoding="utf-8"))
    modules = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names]
    modules += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in modules if m.startswith(("telegram", "bot.telegram"))]
