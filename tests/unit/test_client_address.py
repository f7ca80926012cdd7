"""The client address (sign-in throttling, sessions): X-Forwarded-For is believed from configured proxies
only; from any other peer, the peer's own address counts."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from services.gateway.settings import GatewaySettings
from services.gateway.web.session import SETTINGS, client_address, forwarded_client

SECRET = "test-identity-secret-0123456789abcdef"


def _request(peer: str, forwarded: list[str], trusted) -> web.Request:
    settings = GatewaySettings.model_validate({"identity_secret": SECRET, "metrics_token": "m" * 40,
                                               "trusted_proxies": trusted})
    app = web.Application()
    app[SETTINGS] = settings

    class Transport:
        def get_extra_info(self, name, default=None):
            return (peer, 40000) if name == "peername" else default

        def is_closing(self):
            return False

    headers = [("X-Forwarded-For", value) for value in forwarded]
    from multidict import CIMultiDict

    return make_mocked_request("POST", "/connexion", headers=CIMultiDict(headers), app=app, transport=Transport())


def test_without_trusted_proxies_the_header_is_never_read():
    request = _request("198.51.100.20", ["203.0.113.9"], "")
    assert client_address(request) == "198.51.100.20"


def test_a_client_cannot_choose_its_address_by_sending_the_header():
    request = _request("198.51.100.20", ["203.0.113.9"], "10.0.0.0/8")
    assert client_address(request) == "198.51.100.20"


def test_behind_a_trusted_proxy_the_address_it_saw_counts():
    request = _request("10.1.2.3", ["203.0.113.9"], "10.0.0.0/8,192.0.2.7")
    assert client_address(request) == "203.0.113.9"


def test_what_the_client_wrote_itself_on_the_left_is_ignored():
    # the client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it really saw
    request = _request("10.1.2.3", ["1.2.3.4, 203.0.113.9"], ["10.0.0.0/8"])
    assert client_address(request) == "203.0.113.9"
    # two trusted proxies in a row: the first address neither vouches for
    request = _request("10.1.2.3", ["1.2.3.4, 203.0.113.9, 192.0.2.7"], "10.0.0.0/8, 192.0.2.7")
    assert client_address(request) == "203.0.113.9"
    # several header lines are one list
    request = _request("10.1.2.3", ["1.2.3.4", "203.0.113.9"], "10.0.0.0/8")
    assert client_address(request) == "203.0.113.9"


def test_garbage_from_a_trusted_proxy_is_not_believed():
    assert forwarded_client("10.1.2.3", ["pas-une-adresse"], GatewaySettings.model_validate(
        {"identity_secret": SECRET, "metrics_token": "m" * 40, "trusted_proxies": "10.0.0.0/8"}).trusted_proxies) \
        == "10.1.2.3"


def test_ipv6_and_ports():
    trusted = GatewaySettings.model_validate({"identity_secret": SECRET, "metrics_token": "m" * 40,
                                              "trusted_proxies": '["fd00::/8"]'}).trusted_proxies
    assert forwarded_client("fd00::1", ["[2001:db8::7]:443"], trusted) == "2001:db8::7"
    assert forwarded_client("fd00::1", ["198.51.100.4:5000"], trusted) == "198.51.100.4"
    assert forwarded_client("2001:db8::9", ["198.51.100.4"], trusted) == "2001:db8::9"
