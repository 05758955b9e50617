"""`validation.parse_address` is `ipaddress.ip_address` (None where that raises), with a fast path
for dotted IPv4 text: both are compared on texts built to sit on the edges of what `ipaddress`
takes (leading zeros, octets past 255, other digits, missing or extra parts, IPv6)."""
from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from policylint.model.validation import parse_address


def reference(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


_OCTETS = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 999).map(str),
    st.integers(0, 255).map(lambda n: "0" + str(n)),  # a leading zero: refused
    st.sampled_from(["", "-1", "+1", " 1", "1 ", "٣", "１", "0x1", "256", "1e2", "00"]),
)
_TEXTS = st.one_of(
    st.lists(_OCTETS, min_size=3, max_size=5).map(".".join),
    st.lists(_OCTETS, min_size=4, max_size=4).map(".".join),
    st.ip_addresses().map(str),
    st.text(alphabet="0123456789.:abcdef%/ ", max_size=20),
)


@given(_TEXTS)
def test_parse_address_is_ip_address(text: str) -> None:
    assert parse_address(text) == reference(text)
    found = parse_address(text)
    if found is not None:
        assert type(found) is type(reference(text))
        assert str(found) == str(reference(text))


def test_edges_by_hand() -> None:
    assert parse_address("10.0.0.1") == ipaddress.IPv4Address("10.0.0.1")
    assert parse_address("255.255.255.255") == ipaddress.IPv4Address("255.255.255.255")
    assert parse_address("0.0.0.0") == ipaddress.IPv4Address(0)
    for refused in ("010.0.0.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "1.2.3.4 ", "１.2.3.4", ""):
        assert parse_address(refused) is None, refused
    assert parse_address("2001:db8::1") == ipaddress.IPv6Address("2001:db8::1")
    assert parse_address("::ffff:10.0.0.1") == ipaddress.IPv6Address("::ffff:10.0.0.1")
