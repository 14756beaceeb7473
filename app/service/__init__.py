"""The Windows service (docs/service.md): Tenso running with nobody logged in, hosted by
``Tenso.exe service host`` under the service manager.

Everything that can be decided without Windows is plain data and plain functions here, tested
on every system: what ``service install`` asks the service manager for (``plan.py``), who may
read the service's folder (``acl.py``), where it keeps its files (``layout.py``), what goes to the
Windows Event Log (``eventlog.py``), how an existing per-user installation moves in (``move.py``)
and the runtime the service runs the gateway in (``runtime.py``).  ``windows.py`` is the pywin32
part (the service manager's calls and the ``ServiceFramework`` class); it is imported on Windows
only.
"""
