"""`python -m mamoru.cli`: the same as the `mamoru` command."""

from mamoru.cli import main

main()
