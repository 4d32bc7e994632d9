"""Migrations safe while the previous release still runs (ADR 47): `python -m tests.migration_rules` (in `make lint`).

During a rolling release the new schema serves the old code and the new at once, so a migration only expands it:
new tables, nullable columns (or NOT NULL with a server default), indexes (CONCURRENTLY on PostgreSQL when the table
exists already), backfills in batches. What the old code may still read or write is never dropped, renamed or
retyped, and no existing column becomes NOT NULL, in the release that stops using it; that is a contract
migration of a later release, declared by `RELEASE_STEP = "contract"` at the top of its file (the test of the
previous release's code on the newest schema, tests/integration/test_previous_release.py, then proves the claim).

Checked: the upgrade() of every migration added since the previous release (RELEASES); each problem is named with
its file and line; exit 1 if any.
"""

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from releases import ROOT, NoHistory, files_at, history_required, previous_release

VERSIONS = "migrations/versions"
CONTRACT = "contract"
_SQL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN)|SET\s+NOT\s+NULL|ALTER\s+COLUMN\s+\S+\s+TYPE)\b",
                  re.IGNORECASE)
_DROPS = {"drop_column": "drops a column", "drop_table": "drops a table", "rename_table": "renames a table"}


@dataclass(frozen=True)
class Problem:
    """One unsafe operation, where it is."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _first_string(call: ast.Call, position: int, name: str) -> str | None:
    node = call.args[position] if len(call.args) > position else _keyword(call, name)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _column_not_null_without_default(call: ast.Call) -> bool:
    """An `sa.Column(...)` that old code's INSERTs cannot satisfy: NOT NULL, no server default, not a key."""
    return (_is_false(_keyword(call, "nullable")) and _keyword(call, "server_default") is None
            and not _is_true(_keyword(call, "primary_key")))


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def check_source(source: str, path: str) -> list[Problem]:
    """The problems of one migration's upgrade() (none for a declared contract migration)."""
    tree = ast.parse(source, filename=path)
    for node in tree.body:
        if (isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant)
                and node.value.value == CONTRACT and "RELEASE_STEP" in ast.unparse(node)):
            return []
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    calls = [n for n in ast.walk(upgrade) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    batches = {item.optional_vars.id: _first_string(item.context_expr, 0, "table_name")  # `with op.batch_alter…`
               for node in ast.walk(upgrade) if isinstance(node, ast.With) for item in node.items
               if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call)
               and isinstance(item.context_expr.func, ast.Attribute)
               and item.context_expr.func.attr == "batch_alter_table"}
    created = {name for call in calls if call.func.attr == "create_table"  # type: ignore[attr-defined]
               if (name := _first_string(call, 0, "table_name"))}
    problems: list[Problem] = []

    def flag(call: ast.AST, what: str) -> None:
        problems.append(Problem(path, getattr(call, "lineno", 0), what))

    for call in calls:
        attr = call.func.attr  # type: ignore[attr-defined]
        if attr in _DROPS:
            flag(call, f"{_DROPS[attr]}: the previous release may still use it (contract it in a later release)")
        elif attr == "alter_column":
            if _keyword(call, "new_column_name") is not None:
                flag(call, "renames a column: add the new one, write both, contract the old one in a later release")
            if _keyword(call, "type_") is not None:
                flag(call, "changes a column's type: the previous release may write values the new type refuses")
            if _is_false(_keyword(call, "nullable")):
                flag(call, "makes an existing column NOT NULL: the previous release's INSERTs may leave it empty")
        elif attr == "add_column":
            columns = [a for a in [*call.args, *(k.value for k in call.keywords)]
                       if isinstance(a, ast.Call) and isinstance(a.func, ast.Attribute | ast.Name)
                       and (a.func.attr if isinstance(a.func, ast.Attribute) else a.func.id) == "Column"]
            if any(_column_not_null_without_default(c) for c in columns):
                flag(call, "adds a NOT NULL column without a server default: the previous release's INSERTs fail")
        elif attr == "create_index":
            receiver = call.func.value  # type: ignore[attr-defined]
            table = (batches.get(receiver.id) if isinstance(receiver, ast.Name) and receiver.id in batches
                     else _first_string(call, 1, "table_name"))
            if table not in created and not _is_true(_keyword(call, "postgresql_concurrently")):
                flag(call, f"creates an index on the existing table {table}: on PostgreSQL build it with "
                           "postgresql_concurrently=True inside op.get_context().autocommit_block() (writes go on)")
        elif attr == "execute":
            for sql in _strings(call):
                if found := _SQL.search(sql):
                    flag(call, f"runs SQL that contracts the schema ({found.group(0)!r}): a later release's job")
    return problems


def new_migrations(commit: str, root: Path = ROOT) -> list[Path]:
    """The migration files of this tree that the release's tree does not have."""
    released = files_at(commit, VERSIONS)
    return sorted(p for p in (root / VERSIONS).glob("*.py") if p.relative_to(root).as_posix() not in released)


def main() -> int:
    """Check the migrations added since the previous release; print each problem; 1 if any."""
    commit = previous_release()
    try:
        added = new_migrations(commit)
    except NoHistory as exc:
        print(f"migration rules: the previous release {commit[:12]} is not in this checkout's history ({exc}); "
              "clone with full history to check", file=sys.stderr)
        return 1 if history_required() else 0
    problems = [p for path in added for p in check_source(path.read_text(encoding="utf-8"),
                                                           path.relative_to(ROOT).as_posix())]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} operations are unsafe while release {commit[:12]} still runs (ADR 47): expand now, "
              "contract in a later release (RELEASE_STEP = \"contract\")", file=sys.stderr)
        return 1
    print(f"migration rules: {len(added)} migrations since release {commit[:12]}, all expand-only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
