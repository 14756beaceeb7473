"""The commands a gateway suggests in its log and through ``status`` carry the ``--config`` it runs
with: typed as shown, they act on the gateway's own settings file, not the per-user default."""

from __future__ import annotations

import json

import keyring

from app.suggest import quoted
from tests.support.processes import free_port, run_app, write_config
from tests.support.smtp import message, send


def test_a_gateway_run_with_another_settings_file_suggests_commands_that_carry_it(tmp_path, tenso, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    if keyring.get_password("tenso", "common") is not None:
        keyring.delete_password("tenso", "common")
    port = free_port()
    written = write_config(tmp_path, port, up.port)
    folder = tmp_path / "some where"  # a space: the path is quoted as a command prompt needs
    folder.mkdir()
    config = folder / "gateway.json"
    data = json.loads(written.read_text(encoding="utf-8"))
    data["auth_accounts"] = {"common": {"username": "isp-id"}}
    config.write_text(json.dumps(data), encoding="utf-8")
    flag = f"--config {quoted(str(config))}"
    assert flag.startswith('--config "')

    gw = tenso(config, port)
    send(port, "a@lan.test", ["x@example.net"], message("waits for its password"))
    gw.wait_log(
        r"no password stored for common: save it in the window \(Auth accounts\) or run: "
        r"python -m app password set common --config \""
    )
    assert f"python -m app password set common {flag}" in gw.log

    status = run_app("status", "--config", str(config))
    assert status.returncode == 0, status.stderr
    last = status.stdout.splitlines()[-1]
    assert last.startswith("no password stored for the common account isp-id"), status.stdout
    assert last.endswith(f": run python -m app password set common {flag}")
    failing = next(line for line in status.stdout.splitlines() if line.lstrip().startswith("FAILING"))
    assert failing.endswith(f"or run: python -m app password set common {flag}")

    missing = run_app("queue", "retry", "NOSUCHID", "--config", str(config))
    assert missing.returncode == 1
    assert f"NOSUCHID is not in the queue (python -m app queue list {flag} shows what is)" in missing.stderr
