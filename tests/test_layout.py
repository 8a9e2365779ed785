"""The layout the README's map describes: every module is named in it, each package folder
holds at most 10 modules, and no function runs over 40 lines."""

import ast
import re

from tests.helpers import ROOT

PACKAGES = ("trainer", "service")
MAX_MODULES, MAX_LINES = 10, 40


def _readme_map() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```text\n(trainer/.*?)```", text, re.S).group(1)


def test_every_module_and_folder_is_in_the_readmes_map():
    mapped = _readme_map()
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT / package)
            folder = f"{rel.parts[-2]}/" if len(rel.parts) > 1 else f"{package}/"
            if not re.search(rf"(?<![\w.]){re.escape(rel.name)}", mapped) or folder not in mapped:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_no_folder_holds_more_than_ten_modules():
    crowded = {}
    for top in (*PACKAGES, "tests", "bench"):
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            count = len(list(folder.glob("*.py")))
            if count > MAX_MODULES:
                crowded[str(folder.relative_to(ROOT))] = count
    assert crowded == {}


def test_no_function_is_over_forty_lines():
    long = []
    for top in (*PACKAGES, "tests", "bench", "deploy"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert long == []
