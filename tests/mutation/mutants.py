"""The mutants of a module: each is the module's syntax tree with one small change (see tests/mutation/mutate.py)."""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
OPERATOR_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}
NAME_SWAPS = {"min": "max", "max": "min", "any": "all", "all": "any"}


@dataclass(frozen=True)
class Mutant:
    """One change: the node it changes (by its place in ast.walk order), how, and how it reads."""

    index: int
    variant: str
    line: int
    original: str
    mutated: str

    def describe(self, path: str) -> str:
        return f"{path}:{self.line}: {self.original} -> {self.mutated}"


def _left_alone(tree: ast.Module) -> set[int]:
    """Ids of the nodes no mutant touches: docstrings, annotations, decorators, `if TYPE_CHECKING:` blocks."""
    skipped: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skipped.append(body[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            skipped.extend(node.decorator_list)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.returns:
                skipped.append(node.returns)
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                if arg.annotation:
                    skipped.append(arg.annotation)
            for arg in (node.args.vararg, node.args.kwarg):
                if arg is not None and arg.annotation:
                    skipped.append(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            skipped.append(node.annotation)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.append(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            skipped.append(node)
    return {id(inner) for outer in skipped for inner in ast.walk(outer)}


def _variants(node: ast.AST) -> Iterator[str]:
    """The names of the changes that apply to this node."""
    if isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            if type(op) in COMPARE_SWAPS:
                yield f"compare:{position}"
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in OPERATOR_SWAPS:
        yield "operator"
    elif isinstance(node, ast.BoolOp):
        yield "boolop"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield "unary"
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or (isinstance(node.value, int) and not isinstance(node.value, bool)):
            yield "constant"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAME_SWAPS:
        yield "name"
    elif isinstance(node, ast.Break | ast.Continue):
        yield "loop"


def _apply(node: ast.AST, variant: str) -> ast.AST:
    """The changed node (a copy, or a replacement for it)."""
    changed = copy.deepcopy(node)
    if variant.startswith("compare:"):
        assert isinstance(changed, ast.Compare)
        position = int(variant.split(":")[1])
        changed.ops[position] = COMPARE_SWAPS[type(changed.ops[position])]()
    elif variant == "operator":
        assert isinstance(changed, ast.BinOp | ast.AugAssign)
        changed.op = OPERATOR_SWAPS[type(changed.op)]()
    elif variant == "boolop":
        assert isinstance(changed, ast.BoolOp)
        changed.op = ast.Or() if isinstance(changed.op, ast.And) else ast.And()
    elif variant == "unary":
        assert isinstance(changed, ast.UnaryOp)
        return changed.operand
    elif variant == "constant":
        assert isinstance(changed, ast.Constant)
        changed.value = (not changed.value) if isinstance(changed.value, bool) else changed.value + 1
    elif variant == "name":
        assert isinstance(changed, ast.Call) and isinstance(changed.func, ast.Name)
        changed.func.id = NAME_SWAPS[changed.func.id]
    elif variant == "loop":
        replacement: ast.stmt = ast.Continue() if isinstance(changed, ast.Break) else ast.Break()
        return ast.copy_location(replacement, changed)
    return changed


def _one_line(text: str) -> str:
    return " ".join(text.split())


def find_mutants(source: str) -> list[Mutant]:
    """Every mutant of the source, in a fixed order (so a mutant's number means the same change each run)."""
    tree = ast.parse(source)
    left_alone = _left_alone(tree)
    found: list[tuple[tuple[int, int], Mutant]] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in left_alone:
            continue
        for variant in _variants(node):
            original = ast.get_source_segment(source, node) or ast.unparse(node)
            mutant = Mutant(
                index=index,
                variant=variant,
                line=getattr(node, "lineno", 0),
                original=_one_line(original),
                mutated=_one_line(ast.unparse(_apply(node, variant))),
            )
            found.append(((mutant.line, getattr(node, "col_offset", 0)), mutant))
    # In the order of the file, so survivors read top to bottom (sorted() is stable: ties keep walk order).
    return [mutant for _, mutant in sorted(found, key=lambda pair: pair[0])]


class _Swap(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutated_code(source: str, filename: str, mutant: Mutant) -> CodeType:
    """The module's code with the one change made."""
    tree = ast.parse(source)
    target = list(ast.walk(tree))[mutant.index]
    tree = _Swap(target, _apply(target, mutant.variant)).visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec")
