"""PySide6's per-import source scan (``ui.source_scan``): what it answers, and why that is safe here."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import json, linecache, sys
    sys.path.insert(0, sys.argv[1])
    import PySide6.QtWidgets
    from vmi_desktop.ui import source_scan
    replaced = source_scan.stop_source_scan() if sys.argv[2] == "stop" else False
    import plain_module_for_the_scan_test
    import vmi_desktop.quantities
    feature = sys.modules["shibokensupport.feature"]
    app = PySide6.QtWidgets.QApplication([])
    label = PySide6.QtWidgets.QLabel("still Qt")
    print(json.dumps({
        "replaced": replaced,
        "read": [name for name in linecache.cache if name.endswith("plain_module_for_the_scan_test.py")],
        "answer": feature.pyside_feature_dict.get("plain_module_for_the_scan_test"),
        "ours": feature._mod_uses_pyside(sys.modules["vmi_desktop.quantities"]),
        "text": label.text(),
    }))
    """
)


def _start(folder: Path, mode: str) -> dict[str, object]:
    (folder / "plain_module_for_the_scan_test.py").write_text('"""A module that never uses Qt."""\nVALUE = 1\n')
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_pyside_reads_the_source_of_each_module_imported_after_it(tmp_path: Path) -> None:
    # the premise: if a PySide6 release stops reading, ui.source_scan can go
    untouched = _start(tmp_path, "keep")
    assert untouched["read"], "PySide6 no longer reads imported modules' source"
    assert untouched["answer"] == -1  # "leave the feature switch as it is": the module never names PySide6


def test_the_scan_answers_from_the_package_without_reading(tmp_path: Path) -> None:
    stopped = _start(tmp_path, "stop")
    assert stopped["replaced"] is True
    assert stopped["read"] == []
    assert stopped["answer"] == -1  # the same answer a read gave
    assert stopped["ours"] is True  # a module of the app: "normal Qt names", as a read of a Qt module gives
    assert stopped["text"] == "still Qt"


@pytest.mark.parametrize("package", ["vmi_desktop", "pyqtgraph"])
def test_no_module_turns_a_pyside_feature_on(package: str) -> None:
    # why both answers mean the same here: no module selects snake_case or true_property
    root = Path(str(importlib.import_module(package).__file__)).parent
    turns_on = re.compile(r"^\s*(from|import)\s+__feature__", re.MULTILINE)
    users = [str(p) for p in root.rglob("*.py") if turns_on.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert users == []
