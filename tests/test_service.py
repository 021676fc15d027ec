"""`edge-emo service`: the systemd unit that starts a device on boot (checked without systemd running)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from edge_runtime.service import ServiceOptions, make_unit, systemd_quote

RUN = ["run", "--camera", "0", "--mqtt", "mqtt://pi@broker.lan/site1", "--device-id", "kitchen 1"]


def unit_lines(text: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (keys may repeat)."""
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def test_systemd_quote_keeps_words_whole_and_specifiers_literal():
    assert systemd_quote("--camera") == "--camera"
    assert systemd_quote("kitchen 1") == '"kitchen 1"'
    assert systemd_quote('say "hi"') == '"say \\"hi\\""'
    assert systemd_quote("100%") == "100%%" and systemd_quote("$HOME") == "$$HOME"
    assert systemd_quote("") == '""'


def test_unit_runs_the_command_as_its_own_user_with_the_password_as_a_credential(tmp_path):
    password = tmp_path / "mqtt-password"
    password.write_text("secret\n")
    options = ServiceOptions(Path("/opt/edge-emo/bin/edge-emo"), tuple(RUN), "edge-emo-kitchen",
                             password_file=password)  # fmt: skip
    keys = unit_lines(make_unit(options, "0.1.0"))
    argv = shlex.split(keys["ExecStart"][0])  # systemd's quoting is shell-like for these words
    assert argv == ["/opt/edge-emo/bin/edge-emo", *RUN, "--mqtt-password-file", "%d/mqtt-password"]
    assert keys["LoadCredential"] == [f"mqtt-password:{password}"]
    assert "secret" not in make_unit(options, "0.1.0")  # the password itself never goes in
    assert keys["DynamicUser"] == ["yes"] and keys["SupplementaryGroups"] == ["video"]
    assert keys["Restart"] == ["on-failure"] and keys["RestartPreventExitStatus"] == ["3 5"]
    assert keys["StateDirectory"] == ["edge-emo-kitchen"]
    assert keys["Environment"] == ["XDG_STATE_HOME=%S/edge-emo-kitchen PYTHONUNBUFFERED=1"]
    assert keys["WantedBy"] == ["multi-user.target"]
    account = ServiceOptions(Path("/usr/bin/edge-emo"), ("listen", "mqtt://h/site1"), user="pi",
                             password_file=password)  # fmt: skip
    keys = unit_lines(make_unit(account, "0.1.0"))
    assert keys["User"] == ["pi"] and "DynamicUser" not in keys
    assert keys["ExecStart"][0].endswith("listen mqtt://h/site1 --password-file %d/mqtt-password")
    page = ServiceOptions(Path("/usr/bin/edge-emo"), ("serve", "--camera", "0", "--host", "0.0.0.0"),
                                        password_file=password, token_file=password)  # fmt: skip
    keys = unit_lines(make_unit(page, "0.1.0"))
    assert keys["ExecStart"][0].endswith(
        "--mqtt-password-file %d/mqtt-password --token-file %d/serve-token"
    )
    assert keys["LoadCredential"] == [f"mqtt-password:{password}", f"serve-token:{password}"]


def test_cli_prints_and_installs_the_same_unit_and_systemd_accepts_it(tmp_path):
    password = tmp_path / "mqtt-password"
    password.write_text("secret\n")
    args = ["--name", "edge-emo-test", "--password-file", str(password), "--", *RUN]
    printed = run_cli("service", "unit", *args)
    assert printed.returncode == 0, printed.stderr
    installed = run_cli("service", "install", "--unit-dir", str(tmp_path), *args)
    assert installed.returncode == 0, installed.stderr
    unit = tmp_path / "edge-emo-test.service"
    assert unit.read_text() == printed.stdout
    assert "systemctl enable --now edge-emo-test" in installed.stdout
    assert "journalctl -u edge-emo-test" in installed.stdout
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed: the unit's syntax was not checked by systemd")
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    # verify exits 0 even for unknown keys or bad values; it reports them on stderr.
    assert verify.returncode == 0 and str(unit) not in verify.stderr, verify.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--", "run", "--camera", "0", "--bogus"], "does not parse: No such option: --bogus"),
        (["--", "run", "--camera", "0", "--show"], "--show needs a desktop"),
        (["--", "run", "clip.mp4"], "reads a camera"),
        (["--", "extract", "clip.mp4"], "a service runs one of: run, listen"),
        (["--", "run", "--camera", "0", "--mqtt-password-file", "/p"], "to the service"),
        (["--", "serve", "--camera", "0", "--token", "t" * 20], "to the service"),
        (["--token-file", "/etc/hostname", "--", "run", "--camera", "0"], "for a `serve` service"),
        (["--password-file", "/nonexistent/pw", "--", "run", "--camera", "0"], "no such file"),
        (["--name", "a/b", "--", "run", "--camera", "0"], "service name"),
    ],
)
def test_a_unit_that_could_not_start_is_refused_in_one_line(args, message):
    result = run_cli("service", "unit", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
