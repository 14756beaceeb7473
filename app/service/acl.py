"""Who may open the service's folder: its own account, SYSTEM and Administrators, nobody else.

The folder's inherited permissions (from ``C:\\ProgramData``, where every user may read and
create) are removed, and three entries put in their place, inherited by everything inside.
Accounts are given by SID, never by name: the names are translated on a Japanese Windows
(``Administrators`` is shown as ``Administrators`` or ``管理者`` depending on the tool), and
``NT SERVICE\\Tenso`` is known by name only once the service exists.
"""

from __future__ import annotations

import hashlib
import struct

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
LOCAL_SERVICE = "S-1-5-19"
NETWORK_SERVICE = "S-1-5-20"


def service_sid(name: str) -> str:
    """The SID of the virtual account ``NT SERVICE\\NAME``: S-1-5-80 and the SHA-1 of the service's
    name in upper case (UTF-16LE), read as five little-endian 32-bit numbers (what
    ``sc showsid NAME`` prints; the same on every Windows, so it can be computed here)."""
    digest = hashlib.sha1(name.upper().encode("utf-16-le")).digest()
    return "S-1-5-80-" + "-".join(str(n) for n in struct.unpack("<5I", digest))


def icacls_commands(root: str, account_sid: str) -> list[list[str]]:
    """The ``icacls`` command lines that leave ``root`` to the service (modify: it writes its queue
    and logs), SYSTEM and Administrators (full control), inheritance from above removed; then
    everything already inside takes these entries (a moved queue, an earlier settings file)."""
    grants = [f"*{SYSTEM}:(OI)(CI)F", f"*{ADMINISTRATORS}:(OI)(CI)F"]
    if account_sid not in (SYSTEM,):
        grants.append(f"*{account_sid}:(OI)(CI)M")
    first = ["icacls", root, "/inheritance:r", *[part for g in grants for part in ("/grant:r", g)]]
    inside = ["icacls", root.rstrip("\\") + "\\*", "/reset", "/T", "/C", "/Q"]
    return [first, inside]


def sddl(account_sid: str) -> str:
    """The same permissions as a security descriptor (SDDL), for a folder created with them or a
    check of what ``icacls`` left: protected (``P``: nothing inherited from above), each entry
    inherited by files and folders (``OICI``); ``FA`` full access, ``0x1301bf`` modify."""
    entries = [f"(A;OICI;FA;;;{SYSTEM})", f"(A;OICI;FA;;;{ADMINISTRATORS})"]
    if account_sid != SYSTEM:
        entries.append(f"(A;OICI;0x1301bf;;;{account_sid})")
    return "D:PAI" + "".join(entries)
