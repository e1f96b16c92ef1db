"""Run the `.sql` files that sit next to the code that uses them, with bound parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import duckdb

_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?(?:\n|$)")
_COMMENT_LINE = re.compile(r"^\s*--.*$", re.MULTILINE)


@cache
def load_statements(package: str, file_name: str) -> tuple[str, ...]:
    """The statements of a packaged .sql file (split at `;` ending a line; comment-only chunks dropped)."""
    text = resources.files(package).joinpath(file_name).read_text("utf-8")
    chunks = (chunk.strip() for chunk in _STATEMENT_END.split(text))
    return tuple(chunk for chunk in chunks if _COMMENT_LINE.sub("", chunk).strip())


def run_sql_file(
    con: duckdb.DuckDBPyConnection, package: str, file_name: str, params: Mapping[str, Any] | None = None
) -> None:
    """Execute every statement of the file, binding the `$name` parameters each one uses."""
    params = params or {}
    for statement in load_statements(package, file_name):
        names = set(_PARAMETER.findall(statement))
        missing = names - params.keys()
        if missing:
            raise KeyError(f"{file_name}: no value for parameter(s) {sorted(missing)}")
        con.execute(statement, {name: params[name] for name in names} if names else None)


def query_sql_file(
    con: duckdb.DuckDBPyConnection, package: str, file_name: str, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run a one-statement .sql file and return its rows."""
    (statement,) = load_statements(package, file_name)
    names = set(_PARAMETER.findall(statement))
    return con.execute(statement, {name: (params or {})[name] for name in names} if names else None).fetchall()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists (a young warehouse or snapshot may not have every table yet)."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchall()[0][0])
