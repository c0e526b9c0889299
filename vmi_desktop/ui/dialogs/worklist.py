"""The worklist's dialogs: confirm an order, snooze until a date with a reason, decide awaiting orders."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.replenishment.snoozes import MAX_SNOOZE_DAYS
from vmi_desktop.ui.widgets import error_label, ok_cancel_buttons


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class ConfirmDialog(QDialog):
    """A question with the list of what would happen, and a verb on OK (orders to raise or decide)."""

    def __init__(
        self,
        title: str,
        question: str,
        items: list[str],
        ok_text: str,
        parent: QWidget | None = None,
        *,
        reason_label: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.items = QListWidget()
        self.items.setObjectName("items")
        self.items.addItems(items)
        self.items.setMaximumHeight(220)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.buttons = ok_cancel_buttons(self, ok_text)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        label = QLabel(question)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.items)
        if reason_label:
            form = QFormLayout()
            form.addRow(reason_label, self.reason)
            layout.addLayout(form)
            self.ok.setEnabled(False)
            self.reason.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        else:
            self.reason.hide()
        layout.addWidget(self.buttons)

    @property
    def reason_text(self) -> str:
        return self.reason.text().strip()


class SnoozeDialog(QDialog):
    """Until when and why: both required; the date is after today and at most a year ahead."""

    def __init__(self, pairs: list[str], today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Snooze")
        self.setMinimumWidth(440)
        self.today = today
        self.until_edit = QDateEdit()
        self.until_edit.setObjectName("until")
        self.until_edit.setCalendarPopup(True)
        self.until_edit.setDisplayFormat("yyyy-MM-dd")
        self.until_edit.setMinimumDate(_qdate(today + timedelta(days=1)))
        self.until_edit.setMaximumDate(_qdate(today + timedelta(days=MAX_SNOOZE_DAYS)))
        self.until_edit.setDate(_qdate(today + timedelta(days=7)))
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText("why not now (supplier on holiday, part being phased out…)")
        self.reason_edit.setMaxLength(500)
        self.error = error_label()
        self.buttons = ok_cancel_buttons(self, "Snooze")
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        shown = ", ".join(pairs[:6]) + (f" and {len(pairs) - 6} more" if len(pairs) > 6 else "")
        intro = QLabel(
            f"Take {shown} off the worklist and out of the reorder check until the date; "
            "they come back by themselves on that day."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Until", self.until_edit)
        form.addRow("Reason", self.reason_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    @property
    def until(self) -> date:
        d = self.until_edit.date()
        return date(d.year(), d.month(), d.day())

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()
