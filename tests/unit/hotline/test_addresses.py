"""Providers' abuse contacts are one plain addr-spec: what goes into a mail header cannot carry a line
break, a display name or a second address."""

from __future__ import annotations

from email.headerregistry import Address

from hypothesis import given, settings
from hypothesis import strategies as st

from mamoru.hotline.addresses import address_problem


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab.@-_+<> ,;:\"()[]\\\r\n\t\x00\x7fé例")), max_size=40))
def test_an_accepted_address_is_one_header_safe_addr_spec(text: str) -> None:
    if address_problem(text) is not None:
        return
    address = text.strip(" ")
    assert address.isascii() and address.count("@") == 1
    assert not any(c in address for c in "\r\n\t\x00\x7f <>,;:\"()[]\\")
    local, domain = address.split("@")
    assert Address(username=local, domain=domain).addr_spec == address  # the mail library reads it as one address
