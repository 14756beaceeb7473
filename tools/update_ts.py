"""Collects every tr("...") and tr_later("...") string of app/gui into resources/i18n/tenso_ja.ts, keeping translations.

    python tools/update_ts.py            # merge; new strings are marked unfinished
    python tools/update_ts.py --release  # also compile tenso_ja.qm with pyside6-lrelease

The .ts file is the source of the Japanese texts; the .qm file is what Tenso loads.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "i18n" / "tenso_ja.ts"
CONTEXT = "Tenso"

# Texts the window shows that the collector cannot find: checks' messages built by joining
# strings, recipient states, and the kinds of value "must be {kind}" names.
EXTRA = [
    "the greeting",  # the stages of deliver/smtp/'s deadlines (a "too slow" problem)
    "EHLO and STARTTLS",
    "the common account",  # settings/cross_checks.py rewrite_problems: whose user name is not an address
    "AUTH",
    "the transaction (MAIL to the reply after the final dot)",
    "is missing ({check})",  # settings/binding.py _failed_check, with and without the grid's row
    "{check} (rule No. {number})",
    "is missing ({check}) (rule No. {number})",
    "a list",
    "an object",
    "a string",
    "a whole number",
    "true or false",
    "must be 1-65535",  # the settings' ranges (checks.Range): rules[].port, delivery.mx_port
    "must be 1-16",  # server.processes
    "must be -1 to 23",  # alerts.summary_hour
    "must be greater than 0",
    "must be a host name",
    "must be an address such as user@example.jp",
    "must be a domain name such as example.jp",
    "must be *, @domain, @*.domain or an address",
    "must be a host name, an IP address, MTA or GRAPH",
    "must be one of none, opportunistic, required, implicit",
    "must list at least one address:port",
    "must be address:port, such as 0.0.0.0:25 or [::]:25",  # system/net.parse_listen (a listener's address)
    "port must be 1-65535",
    "is empty",  # mail/relaynets.parse (a listener's networks)
    "wildcards are written like 192.168.*.*",
    "a * may only be followed by more *, as in 192.168.*.*",
    "both ends of a range must be IPv4 or both IPv6",
    "the first address of a range must not be above the last",
    "must list at least one step",
    "is listed twice",
    "queued",
    "deferred",
    "sent",
    "failed",
    "bounced",
    "Queue ID",
    "Sender",
    "Recipients and states",
    "Attempts",
    "Next try",
    "Last reply",
    "No.",
    "Match (識別ドメイン)",
    "Destination (転送先)",
    "Port (ポート)",
    "Conversion host (変換ホスト名)",
]


def _constant(node: ast.expr) -> str | None:
    """A string literal, also one split over lines ("a " "b" is one Constant already)."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def collect() -> list[str]:
    """The window's tr() / tr_later() texts, the engine's Problem templates, the checks' messages."""
    found: list[str] = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        gui = path.is_relative_to(ROOT / "app" / "gui")
        settings = path.is_relative_to(ROOT / "app" / "settings")  # the field checks' messages
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if gui and node.func.id in ("tr", "tr_later") and node.args and _constant(node.args[0]) is not None:
                    found.append(_constant(node.args[0]))  # type: ignore[arg-type]
                elif node.func.id == "Problem" and len(node.args) >= 2 and _constant(node.args[1]) is not None:
                    found.append(_constant(node.args[1]))  # type: ignore[arg-type]
            elif settings and isinstance(node, ast.Return) and node.value is not None:
                # A check's message: ``return "must be ..."`` or ``return None if ... else "must ..."``
                values = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) else [node.value]
                found += [v for v in map(_constant, values) if v and v.startswith(("must ", "is "))]
    found += EXTRA
    return list(dict.fromkeys(found))


def read_existing() -> dict[str, str]:
    if not TS.exists():
        return {}
    done = {}
    for message in ET.parse(TS).getroot().iter("message"):
        source = message.findtext("source")
        translation = message.find("translation")
        if source is not None and translation is not None and translation.get("type") != "unfinished":
            done[source] = translation.text or ""
    return done


def write(strings: list[str], translations: dict[str, str]) -> list[str]:
    root = ET.Element("TS", version="2.1", language="ja_JP")
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = CONTEXT
    missing = []
    for source in strings:
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        translation = ET.SubElement(message, "translation")
        if source in translations:
            translation.text = translations[source]
        else:
            translation.set("type", "unfinished")
            missing.append(source)
    ET.indent(root)
    TS.parent.mkdir(parents=True, exist_ok=True)
    TS.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + ET.tostring(root, encoding="unicode") + "\n",
        encoding="utf-8",
    )
    return missing


def release() -> None:
    tool = shutil.which("pyside6-lrelease") or str(Path(sys.executable).parent / "pyside6-lrelease")
    subprocess.run([tool, str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--release", action="store_true")
    args = parser.parse_args()
    missing = write(collect(), read_existing())
    for source in missing:
        print(f"untranslated: {source}")
    if args.release:
        release()
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
