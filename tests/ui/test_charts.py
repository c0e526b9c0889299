"""The chart widgets plot exactly what the ledger holds, read it out and export it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.world import World
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import StockMovement
from vmi_desktop.queries import charts as q
from vmi_desktop.scope import Actor
from vmi_desktop.ui.charts import ConsumptionChart, StockChart

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # a Monday


def _post(db: Database, actor: Actor, world: World) -> tuple[int, int]:
    with db.transaction() as s:
        ledger.post_receipt(s, actor, "P-1", "WH-1", 30, occurred_at=T0)
        for i in range(10):
            ledger.post_consumption(s, actor, "P-1", "WH-1", i % 3 + 1, occurred_at=T0 + timedelta(days=i, hours=1))
        ledger.post_receipt(s, actor, "P-2", "WH-1", 99, occurred_at=T0)  # another SKU: must not show
    return world.skus["P-1"], world.locations["WH-1"]


def test_stock_chart_plots_the_posted_on_hand_series(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor
) -> None:
    sku_id, loc_id = _post(sqlite_db, manager, world)
    with sqlite_db.transaction() as s:
        posted = s.execute(
            select(StockMovement.occurred_at, StockMovement.on_hand_after)
            .where(StockMovement.sku_id == sku_id, StockMovement.location_id == loc_id)
            .order_by(StockMovement.occurred_at)
        ).all()
        data = q.stock_series(s, manager, sku_id, loc_id)
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.set_series(data)
    x, y = chart.curve.xData, chart.curve.yData
    assert np.array_equal(x, [p[0].timestamp() for p in posted])
    assert np.array_equal(y, [float(p[1]) for p in posted])
    assert y[0] == 30 and y[-1] == 30 - sum(i % 3 + 1 for i in range(10))
    assert chart.min_curve.yData.tolist() == [10.0, 10.0]
    assert chart.max_curve.yData.tolist() == [50.0, 50.0]
    assert chart.receipts.data["x"].tolist() == [T0.timestamp()]


def test_crosshair_reads_out_date_and_level(qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor) -> None:
    sku_id, loc_id = _post(sqlite_db, manager, world)
    with sqlite_db.transaction() as s:
        data = q.stock_series(s, manager, sku_id, loc_id)
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.set_series(data)
    # After the receipt and the first two consumptions (1 and 2): 27 on 2025-01-07 at noon.
    text = chart.show_readout_at((T0 + timedelta(days=1, hours=4)).timestamp())
    assert text.startswith("2025-01-07")
    assert "on hand: 27" in text
    assert chart.readout.text() == text
    assert chart.v_line.value() == (T0 + timedelta(days=1, hours=4)).timestamp()


def test_consumption_bars_switch_from_daily_to_weekly(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor
) -> None:
    sku_id, loc_id = _post(sqlite_db, manager, world)
    with sqlite_db.transaction() as s:
        daily = q.consumption_daily(s, manager, sku_id, loc_id)
    chart = ConsumptionChart()
    qtbot.addWidget(chart)
    chart.set_daily(daily)
    assert chart.bars.opts["height"].tolist() == [float(i % 3 + 1) for i in range(10)]
    chart.set_weekly(True)
    # Mon 6 .. Sun 12 Jan: days 0..6 -> 1+2+3+1+2+3+1 = 13; Mon 13 .. Wed 15: 2+3+1 = 6
    assert chart.bars.opts["height"].tolist() == [13.0, 6.0]
    assert chart.shown.days[0].isoformat() == "2025-01-06"


def test_export_csv_writes_the_plotted_points_and_png_is_an_image(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, tmp_path: Path
) -> None:
    sku_id, loc_id = _post(sqlite_db, manager, world)
    with sqlite_db.transaction() as s:
        data = q.stock_series(s, manager, sku_id, loc_id)
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.resize(600, 400)
    chart.set_series(data)
    with qtbot.waitSignal(chart.exported):
        chart.export_csv(tmp_path / "stock.csv")
    rows = list(csv.reader((tmp_path / "stock.csv").open(encoding="utf-8")))
    assert rows[0] == ["series", "time_utc", "value"]
    on_hand = [r for r in rows[1:] if r[0] == "on hand"]
    assert on_hand[0] == ["on hand", "2025-01-06 08:00", "30"]
    assert [r[2] for r in on_hand] == [str(int(v)) for v in data.on_hand]
    assert [r for r in rows if r[0] == "received"] == [["received", "2025-01-06 08:00", "30"]]
    png = chart.export_png(tmp_path / "stock.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ten_years_of_daily_points_render_with_downsampling(qtbot: QtBot) -> None:
    days = 3653
    x = datetime(2016, 1, 1, tzinfo=UTC).timestamp() + np.arange(days) * 86400.0
    y = 50 + 20 * np.sin(np.arange(days) / 30.0)
    data = q.StockSeries(times=x, on_hand=y, min_qty=None, max_qty=None)
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.resize(900, 400)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_series(data)
    chart.plot_widget.grab()  # forces a full paint
    assert chart.plot_item.ctrl.downsampleCheck.isChecked() or chart.curve.opts["autoDownsample"]
    assert chart.curve.opts["clipToView"]
    shown_x, _ = chart.curve.getData()
    assert len(shown_x) < days  # drawn downsampled to the pixels, not 3653 points


def test_vendor_charts_plot_monthly_fill_rate_in_percent_with_the_sla_line(qtbot: QtBot) -> None:
    from vmi_desktop.ui.charts import VendorCharts

    months = np.array([datetime(2025, m, 1, tzinfo=UTC).timestamp() for m in (1, 2, 3)])
    data = q.VendorSeries(
        months=months,
        fill_rate=np.array([0.5, np.nan, 1.0]),
        cycle_days=np.array([3.0, 4.5, 6.0]),
        ordered=np.array([10.0, 0.0, 4.0]),
        received_on_time=np.array([5.0, 0.0, 4.0]),
        sla_fill_rate=0.9,
    )
    charts = VendorCharts()
    qtbot.addWidget(charts)
    charts.set_series(data, "ACME")
    assert np.array_equal(charts.fill_curve.yData, [50.0, np.nan, 100.0], equal_nan=True)
    assert charts.cycle_curve.yData.tolist() == [3.0, 4.5, 6.0]
    assert charts.sla_line.isVisible() and charts.sla_line.value() == 90.0
    rows = charts.fill.csv_rows()
    assert rows[1:] == [
        ["fill rate %", "2025-01-01 00:00", "50"],
        ["fill rate %", "2025-02-01 00:00", ""],
        ["fill rate %", "2025-03-01 00:00", "100"],
    ]
