"""Believable names for the demo world: locations, vendors and spare parts.

Everything here is deterministic given the numpy generator handed in, so the
same seed always yields the same part numbers and descriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from vmi_desktop.models import AuthKind, ConnectionKind, LocationKind

_WAREHOUSES = ["NORTH", "SOUTH", "EAST", "WEST", "CENTRAL", "HARBOUR"]
_SITES = [
    "OSLO",
    "BERGEN",
    "TRONDHEIM",
    "STAVANGER",
    "GOTEBORG",
    "AARHUS",
    "HAMBURG",
    "ROTTERDAM",
    "ANTWERP",
    "LYON",
    "TURIN",
    "GDANSK",
    "TAMPERE",
    "MALMO",
    "BREMEN",
    "KIEL",
    "LEEDS",
    "CORK",
    "PORTO",
    "BILBAO",
]


@dataclass(frozen=True)
class LocationSpec:
    """One demo location: code, name, kind and how busy it is (demand multiplier)."""

    code: str
    name: str
    kind: LocationKind
    activity: float


def location_specs(count: int) -> list[LocationSpec]:
    """Warehouses first, then field sites, then service vans: WH-NORTH, SITE-OSLO, VAN-07..."""
    if count < 1:
        raise ValueError("at least one location is needed")
    n_wh = max(1, round(count * 0.15))
    n_site = max(1 if count >= 2 else 0, round(count * 0.35))
    n_van = max(0, count - n_wh - n_site)
    if count == 3:
        n_wh, n_site, n_van = 1, 1, 1
    specs: list[LocationSpec] = []
    for i in range(n_wh):
        tag = _WAREHOUSES[i % len(_WAREHOUSES)] + ("" if i < len(_WAREHOUSES) else f"-{i // len(_WAREHOUSES) + 1}")
        specs.append(LocationSpec(f"WH-{tag}", f"{tag.title()} central warehouse", LocationKind.WAREHOUSE, 1.0))
    for i in range(n_site):
        tag = _SITES[i % len(_SITES)] + ("" if i < len(_SITES) else f"-{i // len(_SITES) + 1}")
        specs.append(LocationSpec(f"SITE-{tag}", f"{tag.title()} field site", LocationKind.FIELD_SITE, 0.55))
    for i in range(n_van):
        specs.append(LocationSpec(f"VAN-{i + 7:02d}", f"Service van {i + 7:02d}", LocationKind.VAN, 0.3))
    return specs[:count]


@dataclass(frozen=True)
class VendorSpec:
    """One demo vendor and how it is reached (never a secret: those live in the keyring)."""

    code: str
    name: str
    connection: ConnectionKind
    auth: AuthKind
    base_url: str
    token_url: str
    client_id: str
    customer_id: str
    exchange_folder: str
    contact: str
    email: str
    phone: str
    default_mode: int  # index into MODES
    lead_days: int
    late_p: float  # share of deliveries that come late
    ack_hours: tuple[int, int]  # how long acknowledging an order takes


#: Replenishment modes by index, as the simulation uses them.
MODES = ("supplier_managed", "auto_po", "proposal")

# code, name, connection, auth, default mode, lead days, contact, late share, ack hours
_VENDORS = [
    ("ACME", "Acme Industrial Supply", ConnectionKind.REST, AuthKind.BEARER, 0, 4, "Dana Whitfield", 0.05, (1, 4)),
    ("NORDBR", "Nordic Bearings AB", ConnectionKind.X12, AuthKind.NONE, 1, 7, "Lars Eklund", 0.14, (6, 20)),
    ("EUSEAL", "EuroSeal & Gasket GmbH", ConnectionKind.EDIFACT, AuthKind.NONE, 1, 10, "Petra Vogel", 0.30, (8, 30)),
    ("FLUIDF", "Fluid Filtration Ltd", ConnectionKind.CSV, AuthKind.NONE, 2, 6, "Owen Barker", 0.10, (4, 16)),
    ("VOLTEL", "Volt Electric Wholesale", ConnectionKind.MANUAL, AuthKind.NONE, 2, 3, "Ines Moreau", 0.22, (12, 40)),
    ("PUMPWX", "Pumpworks Service", ConnectionKind.REST, AuthKind.OAUTH2, 0, 12, "Jonas Berg", 0.35, (2, 10)),
]


def vendor_specs(count: int) -> list[VendorSpec]:
    """Six distinct vendors (REST bearer, X12, EDIFACT, CSV, manual, REST OAuth2), cycled beyond six."""
    if count < 1:
        raise ValueError("at least one vendor is needed")
    specs: list[VendorSpec] = []
    for i in range(count):
        code, name, conn, auth, mode, lead, contact, late_p, ack_hours = _VENDORS[i % len(_VENDORS)]
        rnd = i // len(_VENDORS)
        if rnd:
            code, name = f"{code}{rnd + 1}", f"{name} ({rnd + 1})"
        slug = code.lower()
        port = 8765 + i
        rest = conn is ConnectionKind.REST
        specs.append(
            VendorSpec(
                code=code,
                name=name,
                connection=conn,
                auth=auth,
                base_url=f"http://127.0.0.1:{port}/vmi" if rest else "",
                token_url=f"http://127.0.0.1:{port}/oauth/token" if auth is AuthKind.OAUTH2 else "",
                client_id="vmi-desktop-demo" if auth is AuthKind.OAUTH2 else "",
                customer_id=f"CUST-{10042 + 17 * i}" if rest else "",
                exchange_folder=f"exchange/{slug}"
                if conn in (ConnectionKind.X12, ConnectionKind.EDIFACT, ConnectionKind.CSV)
                else "",
                contact=contact,
                email=f"{contact.split()[0].lower()}@{slug}.example.com",
                phone=f"+47 22 {40 + i:02d} {10 + 3 * i:02d} {55 + i:02d}",
                default_mode=mode,
                lead_days=lead,
                late_p=late_p,
                ack_hours=ack_hours,
            )
        )
    return specs


@dataclass(frozen=True)
class Category:
    """A family of spare parts with its own price range, demand pattern mix and pack sizes."""

    prefix: str
    uom: str
    cost: tuple[float, float]
    patterns: tuple[float, float, float]  # smooth, intermittent, lumpy
    packs: tuple[int, ...]
    critical_share: float
    templates: tuple[str, ...]


_BEARINGS = ("6201", "6202", "6203", "6204", "6205", "6206", "6305", "6308", "22210", "NU206", "7205B", "32008")
_CATEGORIES = [
    Category(
        "BRG",
        "EA",
        (4, 180),
        (0.3, 0.5, 0.2),
        (1, 1, 2, 10),
        0.10,
        (
            "Deep groove ball bearing {b}-2RS",
            "Spherical roller bearing {b} E",
            "Angular contact bearing {b}",
            "Tapered roller bearing {b}",
            "Pillow block unit UCP{n2}",
        ),
    ),
    Category(
        "FLT",
        "EA",
        (6, 140),
        (0.5, 0.2, 0.3),
        (1, 4, 6, 12),
        0.05,
        (
            "Hydraulic filter element {mic} um, {len} mm",
            "Air filter cartridge {len} mm",
            "Oil filter spin-on M{thr}",
            "Fuel filter {mic} um water separator",
            "Cabin filter pleated {len} mm",
        ),
    ),
    Category(
        "SEAL",
        "EA",
        (0.5, 45),
        (0.35, 0.35, 0.3),
        (1, 10, 25, 50, 100),
        0.03,
        (
            "O-ring NBR 70 {id}x{cs} mm",
            "Radial shaft seal {id}x{od}x{w} mm FKM",
            "Mechanical seal {id} mm",
            "V-ring seal VA-{id}",
            "Gasket set DN{dn} PN16",
        ),
    ),
    Category(
        "PMP",
        "EA",
        (250, 4800),
        (0.05, 0.75, 0.2),
        (1,),
        0.35,
        (
            "Centrifugal pump {kw} kW, {rpm} rpm",
            "Dosing pump {lph} l/h",
            "Submersible drainage pump {kw} kW",
            "Gear pump {cc} cc/rev",
            "Pump impeller D{len} bronze",
        ),
    ),
    Category(
        "SNS",
        "EA",
        (25, 950),
        (0.1, 0.7, 0.2),
        (1, 1, 2),
        0.30,
        (
            "Pressure transmitter 0-{bar} bar 4-20 mA",
            "PT100 temperature sensor {len} mm",
            "Inductive proximity sensor M{thr} PNP",
            "Level switch vibrating fork",
            "Flow sensor DN{dn}",
        ),
    ),
    Category(
        "FUS",
        "EA",
        (0.8, 35),
        (0.55, 0.15, 0.3),
        (5, 10, 10, 25),
        0.08,
        (
            "Cartridge fuse gG {amp} A 10x38",
            "NH fuse gG {amp} A size 00",
            "Miniature fuse T{amp} A 5x20",
            "Semiconductor fuse aR {amp} A",
            "Fuse holder 1P {amp} A",
        ),
    ),
    Category(
        "BLT",
        "EA",
        (5, 95),
        (0.4, 0.35, 0.25),
        (1, 1, 2, 4),
        0.05,
        (
            "V-belt SPA {len}",
            "V-belt SPB {len}",
            "Timing belt HTD {len}-8M-30",
            "Poly-V belt {len} PJ",
            "Flat belt {len}x50 mm",
        ),
    ),
    Category(
        "VLV",
        "EA",
        (12, 1300),
        (0.15, 0.6, 0.25),
        (1, 1, 2),
        0.20,
        (
            "Ball valve DN{dn} PN40 stainless",
            "Solenoid valve 24 VDC G{frac}",
            "Check valve DN{dn}",
            "Butterfly valve DN{dn} wafer",
            "Pressure relief valve {bar} bar",
        ),
    ),
    Category(
        "ELC",
        "EA",
        (3, 420),
        (0.35, 0.4, 0.25),
        (1, 1, 5, 10),
        0.12,
        (
            "Contactor {amp} A 230 VAC coil",
            "Relay 24 VDC 2CO",
            "Motor protection breaker {amp} A",
            "Terminal block {sq} mm2 grey",
            "Frequency inverter {kw} kW",
        ),
    ),
    Category(
        "HOS",
        "M",
        (2, 60),
        (0.6, 0.15, 0.25),
        (1, 5, 10),
        0.04,
        ("Hydraulic hose 2SN DN{dn}", "Air hose PU {od}x{id} mm", "Suction hose PVC DN{dn}", "Steam hose EPDM DN{dn}"),
    ),
    Category(
        "LUB",
        "L",
        (4, 30),
        (0.75, 0.05, 0.2),
        (1, 5, 20),
        0.02,
        ("Hydraulic oil HLP {vg}", "Gear oil CLP {vg}", "Compressor oil VDL {vg}", "Multipurpose grease EP2 cartridge"),
    ),
    Category(
        "CPL",
        "EA",
        (8, 650),
        (0.15, 0.6, 0.25),
        (1, 1, 2),
        0.10,
        ("Jaw coupling L{n2} spider", "Gear coupling size {n2}", "Disc coupling D{len}", "Tyre coupling F{n2}"),
    ),
]


@dataclass
class SkuCatalog:
    """Arrays describing every generated SKU (index i is the SKU with id i + 1)."""

    part_number: list[str]
    description: list[str]
    uom: list[str]
    unit_cost: np.ndarray  # float, 4 decimals
    criticality: np.ndarray  # 0 critical, 1 high, 2 normal, 3 low
    pattern: np.ndarray  # 0 smooth, 1 intermittent, 2 lumpy
    pack: np.ndarray
    category: np.ndarray


CRITICALITIES = ("critical", "high", "normal", "low")


_FIELDS: dict[str, tuple[object, ...]] = {
    "b": _BEARINGS,
    "n2": tuple(range(204, 218)),
    "mic": (3, 5, 10, 25),
    "len": tuple(range(80, 1600, 10)),
    "thr": (12, 18, 22, 30),
    "id": tuple(range(8, 120)),
    "cs": (1.5, 2.0, 2.5, 3.0, 3.5, 5.3),
    "od": tuple(range(12, 160)),
    "w": (7, 8, 10, 12),
    "dn": (15, 20, 25, 32, 40, 50, 65, 80, 100),
    "kw": (0.37, 0.75, 1.1, 2.2, 4.0, 5.5, 7.5, 11.0),
    "rpm": (1450, 2900),
    "lph": (2, 6, 10, 25, 60),
    "cc": (4, 8, 16, 25),
    "bar": (6, 10, 16, 25, 40, 100),
    "amp": (2, 4, 6, 10, 16, 20, 25, 32, 40, 63),
    "frac": ("1/4", "3/8", "1/2", "3/4", "1"),
    "sq": (1.5, 2.5, 4.0, 6.0),
    "vg": (32, 46, 68, 100, 150, 220),
}
_TEMPLATE_FIELDS: dict[str, list[str]] = {}


def _fill(template: str, uniforms: np.ndarray) -> str:
    """Fill a description template from a row of uniforms (one per field, in order)."""
    fields = _TEMPLATE_FIELDS.get(template)
    if fields is None:
        fields = _TEMPLATE_FIELDS[template] = re.findall(r"{(\w+)}", template)
    values = {}
    for k, name in enumerate(fields):
        options = _FIELDS[name]
        values[name] = options[int(uniforms[k] * len(options))]
    return template.format(**values)


def make_catalog(count: int, rng: np.random.Generator) -> SkuCatalog:
    """``count`` SKUs spread over the categories with unique, readable part numbers."""
    n_cat = len(_CATEGORIES)
    weights = np.array([1.4, 1.2, 1.3, 0.5, 0.8, 1.0, 0.9, 0.7, 1.1, 0.6, 0.4, 0.5])
    category = rng.choice(n_cat, size=count, p=weights / weights.sum())
    part_number: list[str] = []
    description: list[str] = []
    uom: list[str] = []
    unit_cost = np.empty(count)
    criticality = np.empty(count, dtype=np.int8)
    pattern = np.empty(count, dtype=np.int8)
    pack = np.empty(count, dtype=np.int64)
    seq = np.zeros(n_cat, dtype=np.int64)
    u = rng.random((count, 5))
    fu = rng.random((count, 4))
    for i in range(count):
        c = int(category[i])
        cat = _CATEGORIES[c]
        seq[c] += 1
        part_number.append(f"{cat.prefix}-{10000 + int(seq[c]) * 7 % 90000 + int(seq[c]) // 90000 * 90000:05d}")
        tmpl = cat.templates[int(u[i, 0] * len(cat.templates))]
        description.append(_fill(tmpl, fu[i]))
        uom.append(cat.uom)
        lo, hi = cat.cost
        unit_cost[i] = round(float(np.exp(np.log(lo) + u[i, 1] * (np.log(hi) - np.log(lo)))), 2)
        r = u[i, 2]
        crit_other = 1 - cat.critical_share
        if r < cat.critical_share:
            criticality[i] = 0
        elif r < cat.critical_share + crit_other * 0.2:
            criticality[i] = 1
        elif r < cat.critical_share + crit_other * 0.8:
            criticality[i] = 2
        else:
            criticality[i] = 3
        s, m, _ = cat.patterns
        pattern[i] = 0 if u[i, 3] < s else (1 if u[i, 3] < s + m else 2)
        pack[i] = cat.packs[int(u[i, 4] * len(cat.packs))]
    return SkuCatalog(part_number, description, uom, unit_cost, criticality, pattern, pack, category)
