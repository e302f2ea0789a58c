"""The public functions of geo/ say what they take and give: complete type hints.

Read from the source (``ast``), so a new public function without hints fails
here before review.  Private helpers (``_name``) and nested functions are free.
"""

from __future__ import annotations

import ast
from pathlib import Path

GEO = Path(__file__).resolve().parents[2] / "geo"


def _public_functions(tree: ast.Module):
    """Module-level functions and methods of module-level classes, public ones only."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def _missing(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    out = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
    if func.returns is None:
        out.append("return")
    return out


def test_every_public_function_of_geo_has_type_hints():
    missing = []
    for path in sorted(GEO.rglob("*.py")):
        for name, func in _public_functions(ast.parse(path.read_text(encoding="utf-8"))):
            if gaps := _missing(func):
                missing.append(f"{path.relative_to(GEO.parent)}:{func.lineno} {name}: {', '.join(gaps)}")
    assert not missing, "public functions without type hints:\n" + "\n".join(missing)


def test_the_check_sees_a_missing_hint():
    tree = ast.parse("def f(a, b: int) -> int: ...\nclass C:\n    def g(self) -> None: ...\n    def h(self, x): ...")
    found = {name: _missing(func) for name, func in _public_functions(tree)}
    assert found == {"f": ["a"], "C.g": [], "C.h": ["x", "return"]}
