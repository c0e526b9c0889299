"""Units of measure: whether a SKU is counted in whole units or measured."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base


class UnitOfMeasure(Base):
    """A unit a SKU is stocked in; ``whole`` units (EA, SET) never take fractions anywhere.

    Measured units (L, M, KG) take up to 3 decimals, what the quantity columns hold. A SKU names its
    unit by ``code``; the catalog refuses a code that is not in this table.
    """

    __tablename__ = "units_of_measure"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), default="")
    whole: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("length(code) > 0", name="code_not_empty"),)

    def __repr__(self) -> str:
        return f"UnitOfMeasure({self.code!r}, whole={self.whole})"
