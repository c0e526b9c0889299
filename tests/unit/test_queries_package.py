"""The queries package gives its query classes from their modules at first use."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_a_query_class_is_imported_from_its_module_when_first_named() -> None:
    code = (
        "import sys, vmi_desktop.queries as q; before = 'vmi_desktop.queries.stock' in sys.modules; "
        "from vmi_desktop.queries import StockQuery; from vmi_desktop.queries.stock import StockQuery as S; "
        "print(before, StockQuery is S, 'vmi_desktop.queries.audit' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True", "False"]


def test_a_name_the_package_does_not_have_is_an_attribute_error() -> None:
    import vmi_desktop.queries as queries

    with pytest.raises(AttributeError, match="has no attribute 'NoSuchQuery'"):
        _ = queries.NoSuchQuery
