"""Settings precedence and quantity parsing/rounding."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmi_desktop.config import Settings, load_settings
from vmi_desktop.errors import ValidationError
from vmi_desktop.quantities import fmt, parse_money, parse_quantity, round_for_unit, round_up_to_pack


def test_default_database_is_sqlite_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VMI_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'vmi.sqlite3'}"
    assert settings.is_sqlite


def test_environment_then_command_line_override_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMI_DATABASE_URL", "postgresql://db.example/vmi")
    settings = load_settings()
    assert settings.effective_database_url == "postgresql://db.example/vmi"
    assert settings.with_overrides(database_url="sqlite:////tmp/x.db").effective_database_url == "sqlite:////tmp/x.db"
    assert settings.with_overrides(database_url=None).effective_database_url == "postgresql://db.example/vmi"


def test_settings_are_immutable() -> None:
    with pytest.raises(AttributeError):
        Settings().database_url = "x"  # type: ignore[misc]  # the assignment a frozen dataclass refuses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12"), (" 1.5 ", "1.5"), (3, "3"), ("0.125", "0.125"), (2.5, "2.5"), (".5", "0.5"), ("+4", "4")],
)
def test_quantities_parse_to_three_decimals(raw: object, expected: str) -> None:
    assert parse_quantity(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1,000", "contains a comma"),
        ("1,5", "contains a comma"),
        ("1e3", "plain number"),
        ("abc", "plain number"),
        ("12.34567", "more than 3 decimals"),
        ("NaN", "plain number"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (Decimal("Infinity"), "finite"),
        ("1000000000000000", "too large"),
        (True, "must be a number"),
        ("", "got nothing"),
    ],
)
def test_quantity_input_is_never_guessed(raw: object, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        parse_quantity(raw)


def test_whole_units_refuse_fractions_and_say_which_unit() -> None:
    assert parse_quantity("6", whole=True, uom="EA") == Decimal(6)
    with pytest.raises(ValidationError, match=r"1\.5 has a fraction, but EA is counted in whole units"):
        parse_quantity("1.5", whole=True, uom="EA", what="received quantity")


def test_money_keeps_four_decimals_and_refuses_a_fifth() -> None:
    assert parse_money("12.3456") == Decimal("12.3456")
    with pytest.raises(ValidationError, match="more than 4 decimals"):
        parse_money("0.00001")
    with pytest.raises(ValidationError, match="too large"):
        parse_money("100000000000000")


@pytest.mark.parametrize(
    ("value", "whole", "expected"),
    [("6.6", True, "7"), ("6.5", True, "7"), ("6.4", True, "6"), ("6.6666", False, "6.667")],
)
def test_round_for_unit_rounds_half_up_to_what_the_unit_allows(value: str, whole: bool, expected: str) -> None:
    assert round_for_unit(Decimal(value), whole=whole) == Decimal(expected)


@pytest.mark.parametrize(
    ("qty", "pack", "expected"), [("7", "6", "12"), ("12", "6", "12"), ("0.5", "1", "1"), ("13", "2.5", "15")]
)
def test_round_up_to_pack(qty: str, pack: str, expected: str) -> None:
    assert round_up_to_pack(Decimal(qty), Decimal(pack)) == Decimal(expected)


def test_round_up_to_pack_refuses_zero_pack() -> None:
    with pytest.raises(ValidationError, match="pack size"):
        round_up_to_pack(Decimal(3), Decimal(0))


@given(st.text(max_size=20))
def test_any_text_parses_or_is_refused_cleanly(raw: str) -> None:
    try:
        value = parse_quantity(raw, allow_negative=True)
    except ValidationError as exc:
        assert "quantity" in str(exc)
    else:
        assert value == value.quantize(Decimal("0.001"))
        assert value != 0


@given(
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e9"), places=3),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3),
)
def test_pack_rounding_is_the_smallest_multiple_not_below(qty: Decimal, pack: Decimal) -> None:
    rounded = round_up_to_pack(qty, pack)
    assert rounded >= qty
    assert rounded - pack < qty
    assert (rounded / pack) == (rounded / pack).to_integral_value()


def test_fmt_drops_trailing_zeros() -> None:
    assert fmt(Decimal("12.500")) == "12.5"
    assert fmt(Decimal("100.000")) == "100"
