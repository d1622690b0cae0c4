"""atheris harness: the URL canonicaliser (mamoru.urls) on arbitrary text.

Properties: only ValueError escapes; a canonical URL canonicalises to itself; lookup expressions
never fail on a URL that canonicalised. Run: python fuzz/fuzz_urls.py -max_total_time=20
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from mamoru import urls


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    try:
        canonical = urls.canonicalize(text)
    except ValueError:
        return
    assert urls.canonicalize(canonical) == canonical, (text, canonical)
    urls.lookup_expressions(canonical)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
