"""Status (状態): is mail flowing?  The state, today's counts, the queue, each destination, the
accounts that cannot log in, whether the rules in use have warnings, the clients barred from
logging in, and the last 24 hours.

The figures come from the engine (``controller.status()``, read in a thread): the tab asks again
shortly after the engine says something was counted (``activity_changed``) and every few seconds
while it is visible, so the ages ("5 min ago") stay true.  Nothing is read on the GUI thread.
"""

from __future__ import annotations

import asyncio
import time

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.gui import console
from app.gui.chart import HourChart
from app.gui.controller import Outcome, State, Status
from app.gui.i18n import current, tr, tr_later
from app.mail.replies import explain
from app.settings.keys import COMMON

COUNTS = (
    (Outcome.RECEIVED, tr_later("Received")),
    (Outcome.RELAYED, tr_later("Relayed")),
    (Outcome.LOCAL, tr_later("Delivered locally")),
    (Outcome.DEFERRED, tr_later("Deferred")),
    (Outcome.BOUNCED, tr_later("Bounced")),
    (Outcome.REFUSED, tr_later("Refused at RCPT")),
)
STATE_WORDS = {
    State.RUNNING: (tr_later("Running"), "#2e7d32"),
    State.PAUSED: (tr_later("Running, delivery paused"), "#b26a00"),
    State.STOPPED: (tr_later("Stopped"), "#616161"),
}
COLUMNS = (
    "",
    tr_later("Destination"),
    tr_later("Last success"),
    tr_later("Last failure"),
    tr_later("Last failure's reply"),
)
FAILING_RED = "#c62828"
BANNED_ORANGE = "#b26a00"
REFRESH_MS = 5000
SOON_MS = 400  # after a count changed: one refresh for a burst of mail


def ago(t: float | None, now: float) -> str:
    if t is None:
        return tr("never")
    shown = time.strftime("%H:%M" if now - t < 20 * 3600 else "%m-%d %H:%M", time.localtime(t))
    minutes = max(0, int((now - t) // 60))
    if minutes < 1:
        return tr("{0} (just now)").format(shown)
    if minutes < 120:
        return tr("{0} ({1} min ago)").format(shown, minutes)
    return tr("{0} ({1} h ago)").format(shown, minutes // 60)


def missing_words(m) -> str:
    """A password or client secret that is not stored (status.MissingPassword)."""
    if m.secret:
        text = tr("No client secret stored for the account {0}: its mail waits in the queue. Set it in Auth accounts.")
        return text.format(m.name)
    if m.key == COMMON:
        who = tr("the common account {0}").format(m.username)
    elif m.name:
        who = tr("the account {0} ({1})").format(m.name, m.username)
    else:
        who = tr("the account {0} of {1}").format(m.username, m.local_user)
    return tr("No password stored for {0}: mail that needs it waits in the queue. Set it in Auth accounts.").format(who)


def expiry_words(e) -> str:
    """An expiring client secret or certificate, in the window's language (status.Expiring)."""
    if e.what == "certificate":
        fix = tr("make a new one with: python -m app account certificate create {0}, and upload it").format(e.account)
        words = tr("The certificate of the account {0}")
    else:
        fix = tr("add a new secret in Entra ID and store it with Set client secret...")
        words = tr("The client secret of the account {0}")
    when = tr("expired on {0}") if e.days_left < 0 else tr("expires on {0} (in {1} day(s))")
    return f"{words.format(e.account)} {when.format(e.day, e.days_left)}: {fix}"


class StatusTab(QWidget):
    notes_changed = Signal(list)  # the expiry warnings, for the tray's tooltip

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.state = QLabel()
        self.state.setObjectName("statusState")
        font = self.state.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.state.setFont(font)
        self.listening = QLabel()
        self.listening.setObjectName("statusListening")
        self.listening.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The window as the console of another gateway: which one, since when (app/gui/console.py).
        self.engine = QLabel()
        self.engine.setObjectName("statusEngine")
        self.engine.setWordWrap(True)
        self.engine.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.engine.setStyleSheet("background: #e8f0fe; padding: 4px; border: 1px solid #b8c8e8")
        self.engine.setVisible(False)

        today = QGroupBox(tr("Today"))
        grid = QGridLayout(today)
        self.counts: dict[Outcome, QLabel] = {}
        for column, (outcome, label) in enumerate(COUNTS):
            number = QLabel("0")
            number.setObjectName(f"count_{outcome.value}")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            big = number.font()
            big.setPointSizeF(big.pointSizeF() * 1.6)
            number.setFont(big)
            caption = QLabel(tr(label))
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(number, 0, column)
            grid.addWidget(caption, 1, column)
            self.counts[outcome] = number
        self.queue = QLabel()
        self.queue.setObjectName("statusQueue")
        grid.addWidget(self.queue, 2, 0, 1, len(COUNTS))

        self.destinations = QTableWidget(0, len(COLUMNS))
        self.destinations.setObjectName("statusDestinations")
        self.destinations.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.destinations.verticalHeader().setVisible(False)
        self.destinations.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.destinations.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.destinations.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.no_destinations = QLabel(tr("No mail has been sent yet."))
        self.no_destinations.setObjectName("statusNoDestinations")
        # Under the table: what each failing destination's refusal means, in the window's language.
        self.advice = QLabel()
        self.advice.setObjectName("statusAdvice")
        self.advice.setWordWrap(True)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice.setVisible(False)

        self.accounts = QLabel()
        self.accounts.setObjectName("statusAccounts")
        self.accounts.setWordWrap(True)
        self.accounts.setStyleSheet(f"color: {FAILING_RED}")

        self.warnings = QLabel()
        self.warnings.setObjectName("statusWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00")
        self.warnings.setVisible(False)

        self.bans = QLabel()
        self.bans.setObjectName("statusBans")
        self.bans.setWordWrap(True)
        self.bans.setStyleSheet(f"color: {BANNED_ORANGE}")
        self.bans.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bans.setVisible(False)

        self.chart = HourChart()
        chart_box = QGroupBox(tr("Last 24 hours (recipients per hour)"))
        QVBoxLayout(chart_box).addWidget(self.chart)

        top = QHBoxLayout()
        top.addWidget(self.state)
        top.addSpacing(16)
        top.addWidget(self.listening, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        destinations_box = QGroupBox(tr("Destinations"))
        box_layout = QVBoxLayout(destinations_box)
        box_layout.addWidget(self.destinations)
        box_layout.addWidget(self.no_destinations)
        box_layout.addWidget(self.advice)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.engine)
        layout.addWidget(line)
        layout.addWidget(today)
        layout.addWidget(self.accounts)
        layout.addWidget(self.warnings)
        layout.addWidget(self.bans)
        layout.addWidget(destinations_box, 1)
        layout.addWidget(chart_box, 1)

        # Runs only while the tab shows (showEvent / hideEvent): a window left in the tray, or
        # open on another tab, wakes nobody to keep these texts fresh.
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.timeout.connect(self.refresh)
        # Methods, not lambdas: Qt disconnects them when the tab is deleted (a language change).
        controller.activity_changed.connect(self._counted)
        controller.state_changed.connect(self._state_changed)
        self._busy = False
        self.shown: Status | None = None
        self.destinations.setVisible(False)
        self.show_engine()

    def show_engine(self) -> None:
        """Which gateway the window is the console of (none: it runs its own), or that it has gone."""
        controller = self.controller
        if not isinstance(controller, console.ConsoleController):
            return
        gone = controller.state == State.STOPPED and controller.detail
        self.engine.setText(controller.detail if gone else console.describe(controller.attached))
        self.engine.setStyleSheet(
            "background: #fdecea; padding: 4px; border: 1px solid #e0a8a8"
            if gone
            else "background: #e8f0fe; padding: 4px; border: 1px solid #b8c8e8"
        )
        self.engine.setVisible(True)

    def _counted(self) -> None:
        if self.isVisible() and not self.soon.isActive():  # hidden: showEvent refreshes
            self.soon.start(SOON_MS)  # one refresh for a burst of mail

    def _state_changed(self, state: str, detail: str) -> None:
        self.show_engine()
        if self.isVisible():
            self.soon.start(0)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.timer.start()
        self.soon.start(0)  # the window opens on this tab: figures at once, not in five seconds

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()
        self.soon.stop()

    @asyncSlot()
    async def refresh(self) -> None:
        if not shiboken6.isValid(self) or self._busy or not self.isVisible():
            return  # not valid: deleted by a language change after the timer had fired
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # Qt ran the timer while no event loop runs (processEvents at teardown)
            return
        self._busy = True
        try:
            status = await self.controller.status()
        finally:
            self._busy = False
        if shiboken6.isValid(self):
            self.show_status(status)

    def show_status(self, status: Status) -> None:
        self.shown = status
        now = time.time()
        words, colour = STATE_WORDS[status.state]
        self.state.setText(tr(words))
        self.state.setStyleSheet(f"color: {colour}")
        self.listening.setText(tr("listening on {0}").format(", ".join(status.listening)) if status.listening else "")
        for outcome, label in self.counts.items():
            label.setText(str(status.today.get(outcome, 0)))
        if status.queue_messages:
            text = tr("Queue: {0} message(s), {1} recipient(s) waiting").format(
                status.queue_messages, status.queue_recipients
            )
            if status.oldest:
                text += tr("; the oldest received {0}").format(ago(status.oldest, now))
        else:
            text = tr("Queue: empty")
        self.queue.setText(text)
        self.show_destinations(status, now)
        problems = [missing_words(m) for m in status.missing_passwords]
        for needed in status.sign_in_needed:
            if needed.why:
                text = tr("The account {0} must sign in again: {1}. Auth accounts → Sign in...")
                problems.append(text.format(needed.account, needed.why))
                advice = explain(needed.why, current())
                if advice is not None:  # what the refusal means, when Tenso knows it
                    problems += advice.lines()
            else:
                text = tr("The account {0} is not signed in: mail that needs it waits. Auth accounts → Sign in...")
                problems.append(text.format(needed.account))
        for refused in status.token_refused:
            text = tr(
                "The token request of the account {0} was refused: {1}. The mail waits; the next attempt asks again."
            )
            problems.append(text.format(refused.account, refused.why))
            advice = explain(refused.why, current())
            if advice is not None:
                problems += advice.lines()
        notes = [expiry_words(e) for e in status.expiring]
        problems.extend(notes)
        self.notes_changed.emit(notes)
        if status.password_problem:
            problems.append(tr("The passwords cannot be checked: {0}").format(status.password_problem))
        self.accounts.setText("\n".join(problems))
        self.accounts.setVisible(bool(problems))
        self.show_warnings()
        self.show_bans(status, now)
        self.chart.set_hours([(start, {o.value: n for o, n in counts.items()}) for start, counts in status.hours])

    def show_warnings(self) -> None:
        """How many warnings ``check`` gives of the rules in use: they are listed in Routing rules."""
        count = len(self.controller.warnings(self.controller.settings))
        text = tr("The routing rules have {0} warning(s): see under the grid in Routing rules.").format(count)
        self.warnings.setText(text if count else "")
        self.warnings.setVisible(bool(count))

    def show_bans(self, status: Status, now: float) -> None:
        """Clients that failed to log in too often (server.auth_failures_limit), until when."""
        lines = []
        for ban in sorted(status.auth_bans, key=lambda b: b.until):
            same_day = time.localtime(ban.until)[:3] == time.localtime(now)[:3]
            until = time.strftime("%H:%M" if same_day else "%m-%d %H:%M", time.localtime(ban.until))
            text = tr("{0} may not log in until {1} ({2} failed logins)")
            lines.append(text.format(ban.client, until, ban.failures))
        for name, held in status.day_limits:
            until = time.strftime("%m-%d %H:%M", time.localtime(held))
            lines.append(
                tr("The account {0} reached its daily limit of recipients: its mail waits until {1}").format(
                    name, until
                )
            )
        self.bans.setText("\n".join(lines))
        self.bans.setVisible(bool(lines))

    def show_destinations(self, status: Status, now: float) -> None:
        table = self.destinations
        table.setRowCount(len(status.destinations))
        red = QBrush(QColor(FAILING_RED))
        explained = []
        for row, d in enumerate(status.destinations):
            mark = QTableWidgetItem("●" if d.failing else "")
            mark.setForeground(red)
            mark.setToolTip(tr("Failing: the last attempt there failed") if d.failing else "")
            name = {"MX": tr("MX (normal delivery)"), "local mailbox": tr("Local mailboxes")}.get(d.name, d.name)
            cells = [
                mark,
                QTableWidgetItem(name),
                QTableWidgetItem(ago(d.last_success, now)),
                QTableWidgetItem(ago(d.last_failure, now) if d.last_failure else ""),
                QTableWidgetItem(d.last_reply if d.last_failure else ""),
            ]
            advice = explain(d.last_reply, current()) if d.last_failure else None
            if advice is not None:
                cells[-1].setToolTip("\n".join(advice.lines()))
                if d.failing:
                    explained.append("\n".join([f"{name}:", *advice.lines()]))
            for column, item in enumerate(cells):
                if d.failing and column:
                    item.setForeground(red)
                table.setItem(row, column, item)
        self.advice.setText("\n\n".join(explained))
        self.advice.setVisible(bool(explained))
        table.setVisible(bool(status.destinations))
        self.no_destinations.setVisible(not status.destinations)
