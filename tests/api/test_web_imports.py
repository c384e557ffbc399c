"""The web process (daphne: the ASGI app, its URLconf and every view module) never imports pandas: the loader's
dependencies stay in the loader's processes. Checked in a fresh interpreter, where nothing else imported them."""

import json
import subprocess
import sys
from pathlib import Path

from etl.kinds import KIND_ORDER

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
import bedrot_site.asgi  # django.setup() and the websocket routing
from django.urls import get_resolver

def walk(patterns):  # imports every URLconf and view module the site routes to (admin included)
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            walk(pattern.url_patterns)

walk(get_resolver().url_patterns)
from api.serializers import RefreshRequestSerializer

body = RefreshRequestSerializer(data={"kinds": ["tiktok", "spreadsheet"]})
body.is_valid()
print(json.dumps({"errors": {k: [str(e) for e in v] for k, v in body.errors.items()},
                  "pandas": "pandas" in sys.modules}))
"""


def test_the_web_process_does_not_import_pandas(subprocess_env):
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=subprocess_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "errors": {"kinds": [f'unknown kind "spreadsheet" (allowed: {", ".join(KIND_ORDER)})']},
        "pandas": False,
    }
