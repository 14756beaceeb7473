"""The settings file: one declaration of every field, its default and its check.

The file is JSON (docs/settings-file.md).  The package, one part per module:

- sections.py: a dataclass per section, each field with its default and its check;
  model.py: ``Settings``, the whole file, and the folders it names;
- checks.py: the checks of single fields (a problem text or ``None``), ``Range`` for numbers;
  enums.py: the words that are one of a few (``TlsMode``, ``Provider``...), as StrEnums;
  keys.py: the keyring's keys (``common``, ``user:ADDRESS``, ``account:NAME``...);
- cross_checks.py, account_checks.py: the checks across fields;
- binding.py: JSON to the model and back (``from_dict``, ``to_dict``, ``copy``), one field's check
  and range for the window (``check_field``, ``range_of``); file.py: ``load``, ``save``.

Loading walks the type hints, so a field added to a section is parsed, defaulted, validated and
saved without touching any other code.  Problems name the field with a JSON path
(``rules[2].port: must be 1-65535``) so the command line and the window can point at it.

Everything is imported from here: ``from app.settings import Settings, Rule, load, save``.
"""

from app.settings.account_checks import GRAPH_SCOPE
from app.settings.binding import SettingsError, check_field, copy, from_dict, range_of, to_dict
from app.settings.checks import INT_MAX, PORT, Range
from app.settings.enums import (
    BareNewlines,
    Credential,
    Destination,
    Flow,
    ListenerTls,
    Provider,
    RewriteFrom,
    RuleAccount,
    TlsMode,
    TlsProfile,
    Weakness,
)
from app.settings.file import last_good_path, load, save
from app.settings.model import VERSION, Settings
from app.settings.sections import (
    AccountLimits,
    Alerts,
    AuthAccounts,
    Backup,
    CommonAccount,
    Delivery,
    Device,
    History,
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
    "AccountLimits",
    "Alerts",
    "AuthAccounts",
    "Backup",
    "BareNewlines",
    "CommonAccount",
    "Delivery",
    "Destination",
    "Device",
    "Credential",
    "Flow",
    "History",
    "Listener",
    "ListenerTls",
    "LocalUser",
    "AccountLimits",
    "OAuth2",
    "Options",
    "PerUserAccount",
    "Provider",
    "Queue",
    "Range",
    "Rule",
    "RewriteFrom",
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
