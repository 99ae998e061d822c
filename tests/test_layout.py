"""The package's floors: stages stand on library modules and never on each other.

Make's code prerequisites follow imports (``catalogue.code_files``), so a stage that imported
another would rerun whenever the other's code changed, and an edit to one stage's internals
could change another's outputs unseen.
"""

from __future__ import annotations

import ast

import pytest

from pipeline import catalogue

STAGES = tuple(catalogue.STAGES)
MAX_FUNCTION_LINES = 60


def _modules(stage: str) -> set[str]:
    return {f.removesuffix(".py") for f in catalogue.code_files(stage)}


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_another_stage(stage):
    others = (_modules(stage) & set(STAGES)) - {stage}
    assert not others, (
        f"stage {stage!r} imports the stage modules {sorted(others)} (directly or through a "
        "library module): move what both need into a library module"
    )


def test_the_download_code_reruns_only_fetch():
    assert [s for s in STAGES if "fetch" in _modules(s)] == ["fetch"]


def test_onward_and_report_do_not_stand_on_the_routing_or_the_pricing():
    for stage in ("onward", "report"):
        assert not _modules(stage) & {"route", "cost", "economics", "scene", "search"}, stage
    assert "router" not in _modules("onward")


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kernel = any("jit" in ast.unparse(d) for d in node.decorator_list)
            if not kernel:
                yield node


def test_no_function_outside_the_numba_kernels_is_over_60_lines():
    long = [
        f"{path.name}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
        for path in sorted(catalogue.PACKAGE.glob("*.py"))
        for fn in _functions(ast.parse(path.read_text()))
        if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


MAX_POSITIONAL = 3
POSITIONAL_BY_CONTRACT = {
    "_posttask": "dask's Callback hook, which dask calls with five positional arguments",
    "codegen": "numba's intrinsic code generator, called as (context, builder, sig, args)",
}


def test_options_after_the_third_parameter_are_keyword_only():
    """A call with four positional arguments cannot be read without the signature beside it."""
    many = []
    for path in sorted(catalogue.PACKAGE.glob("*.py")):
        for fn in _functions(ast.parse(path.read_text())):
            positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
            positional = [a for a in positional if a not in ("self", "cls")]
            if len(positional) > MAX_POSITIONAL and fn.name not in POSITIONAL_BY_CONTRACT:
                many.append(f"{path.name}:{fn.lineno} {fn.name}({', '.join(positional)})")
    assert not many, many
