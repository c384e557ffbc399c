"""The page's script is an ES module graph (dashboard/static/dashboard/*.js): every module is reachable from
dashboard.js, and the page preloads exactly the modules it imports, at the URLs the imports resolve to."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db
STATIC = Path(settings.BASE_DIR) / "dashboard" / "static" / "dashboard"
IMPORT = re.compile(r'^import \{[^}]*\} from "\./([\w-]+\.js)";', re.M)


def imported_from(entry: str) -> set[str]:
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        for target in IMPORT.findall((STATIC / name).read_text()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_page_preloads_every_module_dashboard_js_imports_and_no_module_is_dead(plain_user):
    modules = imported_from("dashboard.js")
    assert modules == {path.name for path in STATIC.glob("*.js")} - {"dashboard.js"}
    client = Client()
    client.force_login(plain_user)
    html = client.get("/").content.decode()
    assert re.findall(r'<script type="module" src="([^"]+)"></script>', html) == [
        f"{settings.STATIC_URL}dashboard/dashboard.js"
    ]
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert sorted(preloaded) == sorted(f"{settings.STATIC_URL}dashboard/{name}" for name in modules)
