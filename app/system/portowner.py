"""Who holds a TCP port, when the OS is willing to say: for "port 25 is already in use" messages.

Best effort and read-only: /proc on Linux, ``netstat -ano`` on Windows.  Returns
something like "postfix (pid 812)" or "" when it cannot tell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _linux(port: int) -> str:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    if not inodes:
        return ""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"{name} (pid {pid})"
        except OSError:
            continue
    return "another program (the system does not say which)"


def _windows(port: int) -> str:
    try:
        out = subprocess.run(["netstat", "-ano", "-p", "TCP"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[3].upper() == "LISTENING" and parts[1].rsplit(":", 1)[-1] == str(port):
            pid = parts[4]
            try:
                task = subprocess.run(
                    ["tasklist", "/FI", f"PID eq {pid}", "/FO", "CSV", "/NH"], capture_output=True, text=True, timeout=5
                ).stdout
                name = task.split(",")[0].strip('"') if task.startswith('"') else "a program"
            except (OSError, subprocess.SubprocessError):
                name = "a program"
            return f"{name} (pid {pid})"
    return ""


def port_owner(port: int) -> str:
    try:
        return _windows(port) if sys.platform == "win32" else _linux(port)
    except Exception:  # a hint for a message, never a reason to fail
        return ""
