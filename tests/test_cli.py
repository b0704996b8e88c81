"""emotion.cli: the `emotion` command (python -m emotion) dispatches to each tool's own main."""

import subprocess
import sys

from emotion.cli import COMMANDS, main
from helpers import ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "emotion", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_usage_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_an_unknown_command_is_named_and_exits_2(capsys):
    assert main(["analyse"]) == 2
    assert "unknown command 'analyse'" in capsys.readouterr().err


def test_subcommands_run_their_tool(tmp_path):
    helped = run("batch", "--help")
    assert helped.returncode == 0 and "--detect-every" in helped.stdout
    missing = run("visualize", str(tmp_path / "none.png"))
    assert missing.returncode == 2 and "none.png" in missing.stderr
