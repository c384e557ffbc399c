"""The sample scheduler entries in deploy/ call real commands with options those commands accept, and the
crontab and the systemd units schedule the same three jobs with the same arguments."""

import re
import shlex
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands, load_command_class

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def manage_calls(text: str) -> list[list[str]]:
    return [shlex.split(m) for m in re.findall(r"manage\.py ([^>\n]+?)\s*(?:>>|$)", text, flags=re.MULTILINE)]


def test_crontab_and_systemd_schedule_the_same_valid_commands():
    cron = manage_calls((DEPLOY / "crontab").read_text())
    units = [
        call
        for unit in sorted((DEPLOY / "systemd").glob("bedrot-*.service"))
        for call in manage_calls(unit.read_text())
    ]
    expected = [
        ["load_curated", "--wait", "60"],
        ["backup_db", "--keep", "14"],
        ["maintain_db", "--wait", "1800"],
    ]
    assert cron == expected
    assert sorted(units) == sorted(expected)
    for name, *args in expected:
        command = load_command_class(get_commands()[name], name)
        options = command.create_parser("manage.py", name).parse_args(args)  # exits on an unknown option
        assert float(vars(options)[args[0].lstrip("-")]) == float(args[1])
    timers = {p.stem for p in (DEPLOY / "systemd").glob("*.timer")}
    assert timers == {"bedrot-load", "bedrot-backup", "bedrot-maintain"}
