"""A real daphne process for the end-to-end tests (and the loader command run beside it)."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]  # not from settings: benchmarks import this before Django is set up
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Daphne:
    def __init__(self, env: dict, log_path: Path, port: int | None = None, *, args: tuple[str, ...] = ()):
        self.port = port or free_port()  # a port of its own, or a stopped server's (a restart, same URL)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                *args,
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "bedrot_site.asgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def http_get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"daphne exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.http_get("/health")[0] in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        log = self.log()  # before stop(), which closes the log file
        self.stop()
        raise AssertionError(f"daphne did not answer /health within {timeout} s:\n{log}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def run_load_curated(env: dict, lake: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "load_curated", "--lake", str(lake)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def child_env(subprocess_env: dict, *, redis_url: str | None, group: str, **extra) -> dict:
    """The test database (subprocess_env), a private broadcast group, Redis or not, plus overrides."""
    # No heartbeat frame in the middle of a scenario that runs past 30 s on a busy machine (tests count frames).
    env = {
        **subprocess_env,
        "WS_BROADCAST_GROUP": group,
        "WS_HEARTBEAT_INTERVAL": "600",
        **{k: str(v) for k, v in extra.items()},
    }
    env.pop("WS_LOAD_RUN_POLL_INTERVAL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def nginx_site(*, listen: int, workers: list[int], log_dir: Path) -> str:
    """deploy/nginx/bedrot.conf with these ports: the workers, one plain-HTTP listener, logs in `log_dir`.
    Everything else (headers, /ws upgrade, timeouts, log format) is the shipped file."""
    site = (BASE_DIR / "deploy" / "nginx" / "bedrot.conf").read_text()
    site, upstreams = re.subn(r"(?m)^    server 127\.0\.0\.1:\d+;\n", "", site)
    assert upstreams == 4
    site = site.replace(
        "    least_conn;\n", "    least_conn;\n" + "".join(f"    server 127.0.0.1:{p};\n" for p in workers)
    )
    # TLS left out: the port-80 redirect server goes, the TLS server listens on plain HTTP.
    site, redirects = re.subn(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.DOTALL)
    site, listeners = re.subn(r"(?m)^    listen (\[::\]:)?443 ssl http2;\n", "", site)
    site, tls = re.subn(r"(?m)^    ssl_.*\n", "", site)
    assert (redirects, listeners, tls) == (1, 2, 3)
    site = site.replace("    server_name warehouse.example.com;\n", f"    listen {listen};\n    server_name _;\n")
    return site.replace("/var/log/nginx/bedrot.access.log", str(log_dir / "access.log"))


def nginx_conf(folder: Path, *, listen: int, workers: list[int]) -> Path:
    """An nginx.conf in `folder` including `nginx_site` as Debian's nginx.conf includes a site (the tests and
    bench/api_bench.py run the shipped site this way); `nginx -t` has checked it."""
    (folder / "site.conf").write_text(nginx_site(listen=listen, workers=workers, log_dir=folder))
    conf = folder / "nginx.conf"
    conf.write_text(
        f"worker_processes auto;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nuser root;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include {folder}/site.conf;\n}}\n"
    )
    tested = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(folder)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    return conf
