"""First meaningful paint of the warehouse's own page in real Chromium, and its weight.

    .venv/bin/python bench/dashboard_bench.py                       # the sample lake, loaded into a fresh SQLite file
    .venv/bin/python bench/dashboard_bench.py --database PATH       # an existing warehouse (e.g. the 1M-line one)
    .venv/bin/python bench/dashboard_bench.py --screenshots docs/screenshots

Production settings (DEBUG off, collectstatic + WhiteNoise compression, the API cache on) under a real daphne.
"Cards ready" is the page's own `dashboard-cards-ready` mark: every KPI card filled from GET /api/kpis and a frame
painted, measured from navigation start. Each run opens a new browser context (cold HTTP cache, API cache warm
after the first). Baseline in the same process: the login page (static HTML + the page's CSS), load event.
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from tests.servers import Daphne  # noqa: E402  (the tests' daphne helper: same server, same readiness check)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
USER, PASSWORD = "bench-staff", "bench-" + secrets.token_hex(8)


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(work: Path, database: str | None) -> dict:
    env = {
        **os.environ,
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "WARNING",
        "DATABASE_PATH": database or str(work / "bench.db"),
        "DJANGO_SETTINGS_MODULE": "bedrot_site.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput")
    if not database:
        manage(env, "load_curated", "--lake", str(BASE_DIR / "sample_lake"))
    manage(env, "collectstatic", "--noinput")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"u, _ = User.objects.get_or_create(username='{USER}'); u.is_staff = True; "
        f"u.set_password('{PASSWORD}'); u.save()",
    )
    return env


def session_cookie(browser, base: str) -> list:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
    cookies = context.cookies()
    context.close()
    return cookies


def wait_for_mark(page, name: str, timeout: float = 60.0) -> None:
    """Poll with `evaluate` (not `wait_for_function`, whose string predicate needs eval: the page's CSP forbids it).
    The figures come from the marks' own timestamps, so the polling interval does not enter them."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("(name) => performance.getEntriesByName(name).length > 0", name):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no performance mark {name!r} within {timeout:g} s")
        time.sleep(0.02)


def measure(browser, base: str, cookies, viewport) -> dict:
    context = browser.new_context(viewport=viewport)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(base + "/")
    wait_for_mark(page, "dashboard-cards-ready")
    page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
    wait_for_mark(page, "dashboard-complete")
    result = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource');
        const bytes = (list) => list.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
        const statics = resources.filter((e) => e.name.includes('/static/'));
        const apis = resources.filter((e) => e.name.includes('/api/'));
        return {
            cards_ms: performance.getEntriesByName('dashboard-cards-ready')[0].startTime,
            complete_ms: performance.getEntriesByName('dashboard-complete')[0].startTime,
            html_bytes: nav.transferSize || nav.encodedBodySize,
            static_bytes: bytes(statics), api_bytes: bytes(apis), requests: resources.length + 1,
        };
    }""")
    context.close()
    return result


def baseline(browser, base: str) -> float:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(base + "/login")
    value = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    context.close()
    return value


def screenshots(browser, base: str, cookies, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", {**DESKTOP, "height": 1250}), ("phone", {**PHONE, "height": 1500})):
        context = browser.new_context(viewport=viewport)
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_selector("#live-status[data-state=live]", timeout=60_000)
        page.wait_for_selector("body[data-loaded=true]")
        page.screenshot(path=str(target / f"dashboard-{name}.png"))  # the first screens; PNGs stay small
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an existing SQLite warehouse (default: load the sample lake)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--screenshots", type=Path, help="write dashboard-desktop.png and dashboard-phone.png here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bedrot-dashboard-bench-"))
    server = None
    try:
        env = prepare(work, args.database)
        server = Daphne(env, work / "daphne.log")
        base = f"http://127.0.0.1:{server.port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            cookies = session_cookie(browser, base)
            measure(browser, base, cookies, DESKTOP)  # warm-up: API cache, daphne's code paths
            runs = [measure(browser, base, cookies, DESKTOP) for _ in range(args.runs)]
            phone = [measure(browser, base, cookies, PHONE) for _ in range(3)]
            base_ms = statistics.median(baseline(browser, base) for _ in range(args.runs))
            if args.screenshots:
                screenshots(browser, base, cookies, args.screenshots)
            browser.close()
        cards = statistics.median(r["cards_ms"] for r in runs)
        complete = statistics.median(r["complete_ms"] for r in runs)
        last = runs[-1]
        print(f"warehouse: {args.database or 'sample lake'}; {args.runs} runs, medians")
        print(
            f"cards ready (first meaningful paint) desktop: {cards:.0f} ms "
            f"(max {max(r['cards_ms'] for r in runs):.0f}); phone: {statistics.median(r['cards_ms'] for r in phone):.0f} ms"
        )
        print(f"every chart and table drawn: {complete:.0f} ms")
        print(f"baseline, login page load: {base_ms:.0f} ms; ratio cards/baseline: {cards / base_ms:.1f}x")
        print(
            f"page weight over the wire: HTML {last['html_bytes'] / 1024:.1f} KiB, static (CSS, JS, Chart.js) "
            f"{last['static_bytes'] / 1024:.1f} KiB, API JSON {last['api_bytes'] / 1024:.1f} KiB, "
            f"{last['requests']} requests"
        )
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
