import sys

WORKERS = (["delivery-worker"], ["receive-worker"])  # started by Tenso itself, talking over pipes


def _attach_console() -> None:
    """The Windows exe is windowed; commands typed in a console still print there."""
    # Not for the worker processes: their stdin and stdout are the pipes to the main process.
    if sys.platform == "win32" and getattr(sys, "frozen", False) and sys.argv[1:2] and sys.argv[1:2] not in WORKERS:
        import ctypes

        if ctypes.windll.kernel32.AttachConsole(-1):  # the console of the shell that started us
            sys.stdout = open("CONOUT$", "w", encoding="utf-8")
            sys.stderr = open("CONOUT$", "w", encoding="utf-8")
            sys.stdin = open("CONIN$", encoding="utf-8")


if sys.argv[1:2] == ["delivery-worker"]:
    # The delivery process (app.deliver.worker): straight to its loop, without the command line's imports.
    from app.deliver.worker_main import main as delivery_worker_main

    sys.exit(delivery_worker_main())
if sys.argv[1:2] == ["receive-worker"]:
    # A receiving process (app.receive.workers), likewise.
    from app.receive.worker_main import main as receiving_worker_main

    sys.exit(receiving_worker_main())

_attach_console()
from app.cli import main  # noqa: E402

sys.exit(main())
