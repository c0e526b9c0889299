"""Units of measure as the EDI standards name them: X12 element 355 and UN/ECE Recommendation 20.

Our unit codes (``units_of_measure``) map to the code each standard uses and back. A code with no
entry here travels unchanged (the partner has to know it); the implementation guide says so.
"""

from __future__ import annotations

#: our code -> X12 355
X12_UNITS = {
    "EA": "EA",
    "PCS": "PC",
    "PC": "PC",
    "SET": "ST",
    "KIT": "KT",
    "PR": "PR",
    "PK": "PK",
    "BX": "BX",
    "CS": "CA",
    "CT": "CT",
    "BG": "BG",
    "RL": "RL",
    "DR": "DR",
    "CAN": "CN",
    "TB": "TB",
    "DZ": "DZ",
    "L": "LT",
    "ML": "ML",
    "M": "MR",
    "CM": "CM",
    "MM": "MM",
    "KM": "KM",
    "KG": "KG",
    "G": "GR",
    "T": "TN",
    "M2": "SM",
    "M3": "CR",
    "FT": "FT",
    "IN": "IN",
    "YD": "YD",
    "LB": "LB",
    "OZ": "OZ",
    "GAL": "GA",
    "H": "HR",
}
#: our code -> UN/ECE Rec 20
UNECE_UNITS = {
    "EA": "EA",
    "PCS": "H87",
    "PC": "H87",
    "SET": "SET",
    "KIT": "KT",
    "PR": "PR",
    "PK": "PK",
    "BX": "BX",
    "CS": "CS",
    "CT": "CT",
    "BG": "BG",
    "RL": "RO",
    "DR": "DR",
    "CAN": "CA",
    "TB": "TU",
    "DZ": "DZN",
    "L": "LTR",
    "ML": "MLT",
    "M": "MTR",
    "CM": "CMT",
    "MM": "MMT",
    "KM": "KMT",
    "KG": "KGM",
    "G": "GRM",
    "T": "TNE",
    "M2": "MTK",
    "M3": "MTQ",
    "FT": "FOT",
    "IN": "INH",
    "YD": "YRD",
    "LB": "LBR",
    "OZ": "ONZ",
    "GAL": "GLL",
    "H": "HUR",
}


def _reverse(table: dict[str, str]) -> dict[str, str]:
    """Standard code -> our code; where two of ours share a code, the one spelled like it wins, else the first."""
    reverse: dict[str, str] = {}
    for ours, theirs in table.items():
        if theirs not in reverse or ours == theirs:
            reverse[theirs] = ours
    return reverse


_FROM_X12 = _reverse(X12_UNITS)
_FROM_UNECE = _reverse(UNECE_UNITS)


def to_x12(uom: str) -> str:
    """The X12 code of our unit (unchanged when unknown)."""
    return X12_UNITS.get(uom, uom)


def from_x12(code: str) -> str:
    """Our unit for an X12 code (unchanged when unknown)."""
    return _FROM_X12.get(code, code)


def to_unece(uom: str) -> str:
    """The UN/ECE Rec 20 code of our unit (unchanged when unknown)."""
    return UNECE_UNITS.get(uom, uom)


def from_unece(code: str) -> str:
    """Our unit for a UN/ECE Rec 20 code (unchanged when unknown)."""
    return _FROM_UNECE.get(code, code)
