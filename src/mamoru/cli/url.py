"""`mamoru url`: the shared URL canonicaliser and lookup-expression generator on the command line."""

from __future__ import annotations

import typer

from mamoru import urls
from mamoru.cli.common import err

app = typer.Typer(help="URL canonicalisation (Safe Browsing rules) and lookup expressions.",
                  no_args_is_help=True)


@app.command("canonicalize")
def canonicalize(url: list[str] = typer.Argument(..., metavar="URL...", help="URLs, as reported.")) -> None:
    """Print each URL's canonical form, one a line, in order. Any unusable URL: nothing printed, exit 2."""
    results: list[str] = []
    bad = False
    for u in url:
        try:
            results.append(urls.canonicalize(u))
        except ValueError as exc:
            err.print(f"mamoru: {u!r}: {exc}", markup=False)
            bad = True
    if bad:
        raise typer.Exit(2)
    for line in results:
        typer.echo(line)


@app.command("expressions")
def expressions(url: str = typer.Argument(..., help="One URL.")) -> None:
    """Print the lookup expressions of URL (host suffix x path prefix), one a line."""
    try:
        exprs = urls.lookup_expressions(url)
    except ValueError as exc:
        err.print(f"mamoru: {url!r}: {exc}", markup=False)
        raise typer.Exit(2) from None
    for e in exprs:
        typer.echo(e)
