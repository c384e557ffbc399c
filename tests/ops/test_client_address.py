"""The client address behind trusted proxies (bedrot_site/client_address.py) and its settings."""

import subprocess
import sys

import pytest

from bedrot_site.client_address import client_address_get, public_read_allowed
from tests.servers import BASE_DIR


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # nginx on this machine passed the client on
        ("203.0.113.9", "10.0.0.1", "203.0.113.9"),  # not a trusted peer: its header is its own invention
        ("127.0.0.1", None, "127.0.0.1"),  # a local process calling directly
        ("127.0.0.1", "198.51.100.1, 127.0.0.1, 203.0.113.7", "203.0.113.7"),  # rightmost untrusted hop wins
        ("127.0.0.1", "198.51.100.1, 127.0.0.1", "198.51.100.1"),  # trusted hops are skipped
        ("127.0.0.1", "203.0.113.7, not-an-address", "127.0.0.1"),  # garbage ends the walk at the proxy
        ("127.0.0.1", " 2001:db8::5 ", "2001:db8::5"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(settings, peer, forwarded_for, expected):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    assert client_address_get(peer=peer, forwarded_for=forwarded_for) == expected


def test_public_read_needs_the_switch_and_a_listed_address(settings):
    import ipaddress

    settings.API_PUBLIC_READ_FROM = [ipaddress.ip_network("10.0.0.0/8")]
    settings.API_PUBLIC_READ = False
    assert not public_read_allowed(address="10.1.2.3")
    settings.API_PUBLIC_READ = True
    assert [public_read_allowed(address=a) for a in ("10.1.2.3", "11.0.0.1", "", None, "junk")] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_defaults_are_loopback_and_a_bad_network_is_named(subprocess_env):
    from django.conf import settings

    assert [str(n) for n in settings.API_PUBLIC_READ_FROM] == ["127.0.0.0/8", "::1/128"]
    assert [str(n) for n in settings.TRUSTED_PROXIES] == ["127.0.0.0/8", "::1/128"]
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env={**subprocess_env, "API_PUBLIC_READ_FROM": "10.0.0.0/8,10.0.0.300"},
        timeout=120,
    )
    assert done.returncode == 1
    assert (
        "ImproperlyConfigured: API_PUBLIC_READ_FROM: '10.0.0.300' does not appear to be an IPv4 or IPv6 network"
        in done.stderr
    )
