"""Numbers typed in a cell are read in the user's locale, exactly, and refused with the reason otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale

from tests.ui.test_editing import _agreement_row, _agreements, _type_into_cell
from tests.world import World, measure_in
from vmi_desktop.db import Database
from vmi_desktop.errors import ValidationError
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.models import ERROR_ROLE, RAW_ROLE
from vmi_desktop.ui.numbers import format_count, format_decimal, parse_decimal

ENGLISH = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)


@pytest.fixture
def german() -> Iterator[None]:
    saved = QLocale()
    QLocale.setDefault(GERMAN)
    try:
        yield
    finally:
        QLocale.setDefault(saved)


@pytest.fixture
def english() -> Iterator[None]:
    saved = QLocale()
    QLocale.setDefault(ENGLISH)
    try:
        yield
    finally:
        QLocale.setDefault(saved)


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        (ENGLISH, "1,000", "1000"),
        (ENGLISH, "1.5", "1.5"),
        (ENGLISH, "1,234.567", "1234.567"),
        (GERMAN, "1,5", "1.5"),
        (GERMAN, "1.000", "1000"),
        (GERMAN, "1.234,567", "1234.567"),
        (GERMAN, "-0,25", "-0.25"),
    ],
)
def test_numbers_are_read_in_the_locale(locale: QLocale, text: str, expected: str) -> None:
    assert parse_decimal(text, locale) == Decimal(expected)


@pytest.mark.parametrize(
    ("locale", "text", "reason"),
    [
        (ENGLISH, "1,5", "is not a number: in English a number is written like 1,234.5"),
        (GERMAN, "1.5", "is not a number: in German a number is written like 1.234,5"),
        (ENGLISH, "1e3", "is not a number"),
        (ENGLISH, "abc", "is not a number"),
        (ENGLISH, "12.34567", "more decimals than allowed"),
        (GERMAN, "12,34567", "more decimals than allowed"),
        (ENGLISH, "", "got nothing"),
    ],
)
def test_what_is_not_a_number_in_the_locale_is_refused_with_the_reason(locale: QLocale, text: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        parse_decimal(text, locale)


def test_numbers_are_shown_in_the_locale() -> None:
    assert format_decimal(Decimal("1234567.500"), ENGLISH) == "1,234,567.5"
    assert format_decimal(Decimal("1234567.500"), GERMAN) == "1.234.567,5"
    assert format_decimal(Decimal("-12.000"), GERMAN) == "-12"


def test_counts_are_grouped_as_the_cells_are(german: None) -> None:
    # the dashboard's cards and the pages' row counts beside cells showing "1.000": never "1,000,001" here
    assert format_count(1_000_001) == "1.000.001"
    assert format_count(1_000_001, ENGLISH) == "1,000,001"
    assert format_count(75) == "75"


def test_english_cell_reads_a_thousands_separator(
    main_window: MainWindow, qtbot, sqlite_db: Database, stocked: World, english: None
) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    _type_into_cell(qtbot, page, row, "max_qty", "1,000")
    index = page.model.index(row, page.model.column_index("max_qty"))
    assert index.data(ERROR_ROLE) is None and index.data(RAW_ROLE) == Decimal(1000)


def test_german_cell_reads_a_decimal_comma_and_refuses_a_dot(
    main_window: MainWindow, qtbot, sqlite_db: Database, stocked: World, german: None
) -> None:
    with sqlite_db.transaction() as s:
        measure_in(s, stocked.skus["P-1"], "L")
    page = _agreements(main_window)
    page.refresh()
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    index = page.model.index(row, page.model.column_index("min_qty"))
    _type_into_cell(qtbot, page, row, "min_qty", "1,5")
    assert index.data(ERROR_ROLE) is None and index.data(RAW_ROLE) == Decimal("1.5")
    for typed, reason in (
        ("1.5", "in German a number is written like 1.234,5"),
        ("abc", "is not a number"),
        ("1e3", "is not a number"),
        ("12,34567", "more decimals than allowed"),
    ):
        _type_into_cell(qtbot, page, row, "min_qty", typed)
        assert reason in (index.data(ERROR_ROLE) or ""), typed
        assert index.data() == typed  # what was typed stays visible in the cell, nothing swallowed
