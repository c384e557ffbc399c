"""A new user's first minutes: every setting is in .env.example, and scripts/run.sh says which port it
uses, honours PORT/HOST from the environment or .env, and stops with a clear message when the port is taken."""

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SETTING_CALL = re.compile(r'\benv\.(?:str|bool|int|float|list|json|db|path|url)\(\s*"([A-Z][A-Z0-9_]*)"')


def variables_read_by_the_code() -> set[str]:
    names = set()
    for path in BASE_DIR.glob("**/*.py"):
        if {".venv", "tests"} & set(path.relative_to(BASE_DIR).parts) or path.name == "settings_test.py":
            continue  # settings_test.py's switches are for the test suite, not for a deployment
        names |= set(SETTING_CALL.findall(path.read_text()))
    return names


def test_env_example_lists_every_variable_the_code_reads():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M))
    read = variables_read_by_the_code()
    assert {"DJANGO_SECRET_KEY", "WS_ALLOWED_ORIGINS", "API_CACHE_SECONDS", "REVENUE_RATES"} <= read  # the scan works
    assert sorted(read - documented) == []
    assert {"PORT", "HOST"} <= documented  # scripts/run.sh's own two


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def clone(tmp_path) -> Path:
    """run.sh alone in an empty project folder: a port check that failed late would show as files written here."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(BASE_DIR / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    return tmp_path


def run_sh(clone: Path, **env) -> subprocess.CompletedProcess:
    child = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    return subprocess.run(
        ["bash", str(clone / "scripts" / "run.sh")], env={**child, **env}, capture_output=True, text=True, timeout=60
    )


def test_run_sh_names_the_port_and_stops_before_any_setup_when_it_is_taken(clone, busy_port):
    result = run_sh(clone, PORT=str(busy_port), HOST="127.0.0.1")
    assert result.returncode == 1
    assert result.stdout == (
        f"run.sh: will serve on http://127.0.0.1:{busy_port} (set PORT / HOST in the environment or .env to change)\n"
    )
    assert result.stderr == (
        f"run.sh: cannot serve on 127.0.0.1:{busy_port}: Address already in use. Another server "
        "is using the port; stop it or pick another: PORT=8001 scripts/run.sh\n"
    )
    assert sorted(p.name for p in clone.iterdir()) == ["scripts"]  # no venv, no .env, no database


def test_run_sh_reads_port_and_host_from_dotenv_and_the_environment_wins(clone, busy_port):
    (clone / ".env").write_text(f"DJANGO_DEBUG=true\nPORT={busy_port}\nHOST=127.0.0.1\n")
    from_file = run_sh(clone)
    assert (from_file.returncode, from_file.stdout.split(" (")[0]) == (
        1,
        f"run.sh: will serve on http://127.0.0.1:{busy_port}",
    )
    assert f"cannot serve on 127.0.0.1:{busy_port}: Address already in use" in from_file.stderr
    overridden = run_sh(clone, PORT=str(busy_port), HOST="127.0.0.2")  # another loopback address: free there
    assert overridden.stdout.startswith(f"run.sh: will serve on http://127.0.0.2:{busy_port} ")


def test_readme_documents_port_host_and_the_page():
    readme = (BASE_DIR / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start") : readme.index("## Configuration")]
    for needle in ("PORT", "HOST", "http://127.0.0.1:8000/", "docs/screenshots/dashboard-desktop.png"):
        assert needle in quick_start, needle
