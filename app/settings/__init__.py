"""The settings file: one declaration of every field, its default and its check.

The file is JSON (docs/settings-file.md).  Every section is a dataclass (sections.py, the whole
file ``Settings`` in model.py); a field's ``metadata["check"]`` (checks.py) returns a problem text
or ``None``.  Loading walks the type hints (binding.py), so a field added there is parsed,
defaulted and validated without touching any other code.  Problems name the field with a JSON
path (``rules[2].port: must be 1-65535``) so the command line and the window can point at it;
the checks across fields are in cross_checks.py and account_checks.py, reading and writing the
file in file.py.

Everything is imported from here: ``from app.settings import Settings, Rule, load, save``.
"""

from app.settings.account_checks import GRAPH_SCOPE
from app.settings.binding import SettingsError, check_field, copy, from_dict, range_of, to_dict
from app.settings.checks import INT_MAX, PORT, Range
from app.settings.enums import (
    BareNewlines,
    Destination,
    Flow,
    ListenerTls,
    Provider,
    RuleAccount,
    TlsMode,
    TlsProfile,
    Weakness,
)
from app.settings.file import last_good_path, load, save
from app.settings.model import VERSION, Settings
from app.settings.sections import (
    AuthAccounts,
    Backup,
    CommonAccount,
    Delivery,
    Device,
    Listener,
    LocalUser,
    OAuth2,
    Options,
    PerUserAccount,
    Queue,
    Rule,
    Server,
    UpstreamAccount,
)
from app.system.paths import data_dir

NO_ACCOUNT = RuleAccount.NONE  # the name route/router.py knows it by

__all__ = [
    "GRAPH_SCOPE",
    "INT_MAX",
    "NO_ACCOUNT",
    "PORT",
    "VERSION",
    "AuthAccounts",
    "Backup",
    "BareNewlines",
    "CommonAccount",
    "Delivery",
    "Destination",
    "Device",
    "Flow",
    "Listener",
    "ListenerTls",
    "LocalUser",
    "OAuth2",
    "Options",
    "PerUserAccount",
    "Provider",
    "Queue",
    "Range",
    "Rule",
    "RuleAccount",
    "Server",
    "Settings",
    "SettingsError",
    "TlsMode",
    "TlsProfile",
    "UpstreamAccount",
    "Weakness",
    "check_field",
    "copy",
    "data_dir",
    "from_dict",
    "last_good_path",
    "load",
    "range_of",
    "save",
    "to_dict",
]
