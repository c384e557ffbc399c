"""Settings come from the environment; production refuses to start without real credentials."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command


def _django_check(env_overrides: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "bedrot_site.settings",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DATABASE_PATH": str(tmp_path / "check.db"),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_settings_name_the_missing_secret_key(tmp_path):
    result = _django_check({"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "warehouse.example"}, tmp_path)
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_settings_refuse_a_placeholder_secret_key(tmp_path):
    result = _django_check(
        {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "django-insecure-abc", "DJANGO_ALLOWED_HOSTS": "x.example"},
        tmp_path,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not a real secret" in result.stderr


def test_production_settings_name_the_missing_allowed_hosts(tmp_path):
    result = _django_check({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "s3cr3t-" * 10}, tmp_path)
    assert result.returncode != 0
    assert "Set the DJANGO_ALLOWED_HOSTS environment variable" in result.stderr


def test_debug_settings_start_with_local_defaults(tmp_path):
    result = _django_check({"DJANGO_DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_no_missing_migrations():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
