"""External ranges are written without `ipaddress` objects (`ipset.address_text`, `IPRange.cidrs`):
the text must be what `ipaddress` writes, address by address and CIDR by CIDR."""
from __future__ import annotations

import ipaddress

from hypothesis import given, strategies as st

from policylint.engine.ipset import FAMILY_BITS, IPRange, address_text

# IPv6 addresses built from groups that are mostly zero, all ones or small, so that runs of zero
# groups of every length and position (where "::" goes) are common, plus IPv4-mapped ones.
_group = st.one_of(st.just(0), st.just(0), st.just(0xFFFF), st.integers(1, 15), st.integers(0, 0xFFFF))
_v6 = st.one_of(
    st.lists(_group, min_size=8, max_size=8).map(lambda groups: sum(g << (16 * (7 - i)) for i, g in enumerate(groups))),
    st.integers(0, 0xFFFFFFFF).map(lambda v4: 0xFFFF << 32 | v4),
    st.sampled_from([0, 1, (1 << 128) - 1, 1 << 127, 0xFFFF << 32]),
)
_v4 = st.one_of(st.integers(0, (1 << 32) - 1), st.sampled_from([0, 1, (1 << 32) - 1, 10 << 24]))


def _python_address(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


@given(_v6)
def test_ipv6_text_is_ipaddress_text(value: int) -> None:
    assert address_text(6, value) == _python_address(6, value)


@given(_v4)
def test_ipv4_text_is_ipaddress_text(value: int) -> None:
    assert address_text(4, value) == _python_address(4, value)


@st.composite
def ranges(draw) -> IPRange:
    version = draw(st.sampled_from([4, 6]))
    values = _v4 if version == 4 else _v6
    a, b = draw(values), draw(st.one_of(values, st.integers(0, 1 << 20)))
    if draw(st.booleans()):  # a range that starts or ends on a block edge, as ipBlock cuts do
        prefix = draw(st.integers(0, FAMILY_BITS[version]))
        size = 1 << (FAMILY_BITS[version] - prefix)
        a = a // size * size
        b = a + size - 1
    a, b = sorted((a, min(b, (1 << FAMILY_BITS[version]) - 1)))
    return IPRange(version, a, b)


@given(ranges())
def test_range_id_and_cidrs_are_ipaddress_text(r: IPRange) -> None:
    first, last = r.first_address, r.last_address
    assert r.text == f"{first}-{last}"
    assert r.cidrs() == tuple(str(n) for n in ipaddress.summarize_address_range(first, last))


def test_whole_families_and_single_addresses() -> None:
    assert IPRange(4, 0, (1 << 32) - 1).cidrs() == ("0.0.0.0/0",)
    assert IPRange(6, 0, (1 << 128) - 1).cidrs() == ("::/0",)
    assert IPRange(4, 0xA9FEA9FE, 0xA9FEA9FE).text == "169.254.169.254-169.254.169.254"
    assert IPRange(6, 0x20010DB8 << 96, (0x20010DB8 << 96) | ((1 << 80) - 1)).cidrs() == ("2001:db8::/48",)
