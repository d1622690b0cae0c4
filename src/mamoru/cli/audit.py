"""`mamoru audit`: sign a checkpoint of the audit chain's head, and verify the chain."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mamoru.cli.common import err, fail, load_settings, open_database

app = typer.Typer(help="The hash-chained audit log: checkpoints and verification.", no_args_is_help=True)


@app.command("checkpoint")
def checkpoint_cmd(output: Path | None = typer.Option(None, "--output", "-o", help="Write the checkpoint here (default: standard output).")) -> None:
    """Sign the chain head (entry count and hash) with the audit key kept outside the database."""
    from mamoru import audit

    settings = load_settings()
    assert settings.audit_key_path is not None
    key = audit.load_or_create_key(settings.audit_key_path)
    db = open_database(settings)
    with db.session() as s:
        cp = audit.checkpoint(s, key)
    text = json.dumps(cp, indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"checkpoint of {cp['count']} entries written to {output}")
    else:
        typer.echo(text, nl=False)


@app.command("verify")
def verify_cmd(checkpoint: Path | None = typer.Option(None, "--checkpoint", help="A checkpoint file to compare the chain with."),
               key: Path | None = typer.Option(None, "--key", help="Public key for the checkpoint (default: the configured audit key).")) -> None:
    """Exit 0 when the chain is intact (and agrees with the checkpoint), 1 naming the first bad entry."""
    from mamoru import audit

    settings = load_settings()
    cp = None
    public = None
    if checkpoint is not None:
        try:
            cp = json.loads(checkpoint.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"cannot read checkpoint {checkpoint}: {exc}", 2)
        key_path = key or settings.audit_key_path
        pub_path = audit.public_key_path(key_path) if key is None and key_path is not None else key_path
        if pub_path is None or not pub_path.exists():
            pub_path = key_path
        if pub_path is None or not pub_path.exists():
            fail("no audit key to check the checkpoint's signature (--key PUBKEY)", 2)
        public = audit.load_public_key(pub_path)
    db = open_database(settings)
    with db.session() as s:
        try:
            result = audit.verify(s, cp, public)
        except ValueError as exc:
            fail(str(exc), 1)
    if result.ok:
        suffix = f"; agrees with the checkpoint of {cp['created_at']}" if cp else ""
        typer.echo(f"audit chain intact: {result.entries} entries{suffix}")
        return
    for p in result.problems:
        typer.echo(f"BROKEN: {p}")
    raise typer.Exit(1)
