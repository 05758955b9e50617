"""The API server's string validators (apimachinery `pkg/util/validation`), as predicates.

Each returns None when the value is valid, else a short reason phrased like the API server's.
"""
from __future__ import annotations

import ipaddress
import re

from policylint.model.types import IPAddress, IPNetwork

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")


def dns_subdomain_error(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS1123_SUBDOMAIN.match(value):
        return "must be a lowercase RFC 1123 subdomain ([a-z0-9], '-' and '.', starting and ending alphanumeric)"
    return None


def dns_label_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS1123_LABEL.match(value):
        return "must be a lowercase RFC 1123 label ([a-z0-9] and '-', starting and ending alphanumeric)"
    return None


def label_key_error(key: str) -> str | None:
    """A qualified name: optional DNS-subdomain prefix and '/', then a name of at most 63 chars."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "prefix part must be non-empty"
        error = dns_subdomain_error(prefix)
        if error:
            return f"prefix part {error}"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.match(name):
        return "name part must consist of alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
    return None


def label_value_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return "must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
    return None


def port_name_error(name: str) -> str | None:
    """IANA_SVC_NAME as the API server checks it for named ports."""
    if len(name) > 15:
        return "must be no more than 15 characters"
    if not _PORT_NAME_CHARS.match(name):
        return "must contain only lowercase alphanumerics and '-'"
    if "--" in name:
        return "must not contain consecutive hyphens"
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with a hyphen"
    if not any(c.isalpha() for c in name):
        return "must contain at least one letter"
    return None


def port_number_error(value: int) -> str | None:
    if not 1 <= value <= 65535:
        return "must be between 1 and 65535, inclusive"
    return None


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# What `ipaddress` takes as an IPv4 address: four decimal octets up to 255, no leading zeros.
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}\Z")


def parse_address(text: str) -> IPAddress | None:
    """`ipaddress.ip_address(text)`, None where it raises. A pod's IP in a cluster export is an
    IPv4 address nearly always: made from its octets, it costs a fraction of what `ipaddress`
    spends parsing the text (a 150,000-pod export has 150,000 of them)."""
    found = _IPV4.match(text)
    if found is not None:
        a, b, c, d = found.groups()
        return ipaddress.IPv4Address(int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d))
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_cidr(text: str) -> tuple[IPNetwork | None, str | None, bool]:
    """Parse a CIDR as the API server does (Go's ParseCIDR, host bits allowed).

    Returns (network with host bits cleared, error, host_bits_set).
    """
    if "/" not in text:
        return None, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", False
    address, _, prefix = text.partition("/")
    if not prefix.isascii() or not prefix.isdigit():
        return None, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", False
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", False
    if "%" in address:  # a zone index: Go rejects it in a CIDR
        return None, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)", False
    host_bits = ipaddress.ip_address(address) != network.network_address
    return network, None, host_bits
