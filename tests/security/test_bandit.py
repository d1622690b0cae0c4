"""Static security check: bandit over src/ finds nothing that is not explained.

Config: [tool.bandit] in pyproject.toml. A finding in a file we cannot annotate (another team's
module) is accepted here one finding at a time, each with its reason: the file, bandit's test id,
the text of the flagged source line (stripped) and bandit's issue text (which tells apart two
findings on one line, such as MD5 and SHA-1). Any other finding fails the test, even one of an
accepted kind in the same file, so a new one is either fixed, annotated with `# nosec <id>` and a
reason, or added below with a reason. An accepted finding that bandit no longer reports fails too
(the line changed or the problem went away): the list says exactly what is accepted today.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]


class Finding(NamedTuple):
    file: str
    test_id: str
    line: str  # the flagged source line, stripped
    issue: str  # bandit's issue text


# Each accepted finding and why it is not a vulnerability. Reviewed 2026-11-28.
ACCEPTED: dict[Finding, str] = {
    Finding("src/mamoru/auth/service.py", "B105", 'TOKEN_PREFIX = "mmr_"',
            "Possible hardcoded password: 'mmr_'"):
        "'mmr_' is the public prefix of API tokens, not a password",
    Finding("src/mamoru/backup.py", "B608",
            "conn.execute(text(f\"SELECT setval('{seq}', COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) "
            "+ 1, false)\"))",
            "Possible SQL injection vector through string-based query construction."):
        "table, column and sequence names come from the models' metadata, not from input",
    Finding("src/mamoru/blocklist/compiler.py", "B104",
            'def compile_hosts(entries: Sequence[ListedEntry], version: int, sink: str = "0.0.0.0") -> Artifact:',
            "Possible binding to all interfaces."):
        "0.0.0.0 is the sink address written into the hosts file; nothing binds",
    Finding("src/mamoru/followup/demo.py", "B311", "rng = random.Random(seed)",
            "Standard pseudo-random generators are not suitable for security/cryptographic purposes."):
        "random values for demonstration data only",
    Finding("src/mamoru/hotline/service.py", "B311",
            "return random.Random(seed).sample(pending, min(size, len(pending)))",
            "Standard pseudo-random generators are not suitable for security/cryptographic purposes."):
        "seeded random QA sample of assessments; not a secret (an analyst cannot choose which of their "
        "cases is sampled)",
    Finding("src/mamoru/hotline/notices.py", "B701",
            'TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=False,',
            "Using jinja2 templates with autoescape=False is dangerous and can lead to XSS. Use autoescape=True or "
            "use the select_autoescape function to mitigate XSS vulnerabilities."):
        "plain-text e-mail templates (*.txt); no HTML is rendered",
    Finding("src/mamoru/matching/hashing.py", "B324",
            "return (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),",
            "Use of weak MD5 hash for security. Consider usedforsecurity=False"):
        "MD5 is a reported file digest for hash-list formats that use it, not a security primitive",
    Finding("src/mamoru/matching/hashing.py", "B324",
            "return (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),",
            "Use of weak SHA1 hash for security. Consider usedforsecurity=False"):
        "SHA-1 is a reported file digest for hash-list formats that use it, not a security primitive",
}


def bandit_results() -> list[dict[str, object]]:
    exe = shutil.which("bandit", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("bandit is not installed: pip install -e '.[test]'")
    r = subprocess.run([exe, "-q", "-c", "pyproject.toml", "-r", "src", "-f", "json"], cwd=REPO,
                       capture_output=True, text=True, timeout=240)
    assert r.stdout, r.stderr
    return list(json.loads(r.stdout)["results"])


def finding(result: dict[str, object], root: Path = REPO) -> Finding:
    """A bandit result as a Finding, its line text read from the source file itself."""
    name, number = str(result["filename"]), int(str(result["line_number"]))
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    return Finding(name, str(result["test_id"]), lines[number - 1].strip(), str(result["issue_text"]))


def compare(found: list[Finding], accepted: dict[Finding, str]) -> tuple[list[Finding], list[Finding]]:
    """(findings not accepted, accepted findings not found), counted one for one."""
    have, allowed = Counter(found), Counter(list(accepted))
    return sorted((have - allowed).elements()), sorted((allowed - have).elements())


def test_bandit_finds_nothing_unexplained() -> None:
    results = bandit_results()
    unexplained, stale = compare([finding(r) for r in results], ACCEPTED)
    where = {finding(r): f"{r['filename']}:{r['line_number']}" for r in results}
    assert unexplained == [], "new findings (fix, annotate with `# nosec <id>` and a reason, or accept below):\n" + \
        "\n".join(f"{where[f]} {f.test_id} {f.issue}\n    {f.line}" for f in unexplained)
    assert stale == [], "accepted findings bandit no longer reports (remove or update them):\n" + \
        "\n".join(f"{f.file} {f.test_id} {f.line}" for f in stale)


def test_a_new_finding_of_an_accepted_kind_in_the_same_file_is_not_accepted(tmp_path: Path) -> None:
    """The baseline is per finding: another B104 in compiler.py, or the same line twice, is new."""
    source = tmp_path / "src/mamoru/blocklist/compiler.py"
    source.parent.mkdir(parents=True)
    source.write_text('def compile_hosts(entries: Sequence[ListedEntry], version: int, sink: str = "0.0.0.0") -> '
                      'Artifact:\n    pass\nLISTEN = "0.0.0.0"\n', encoding="utf-8")
    result = {"filename": "src/mamoru/blocklist/compiler.py", "test_id": "B104",
              "issue_text": "Possible binding to all interfaces."}
    known, new = finding({**result, "line_number": 1}, tmp_path), finding({**result, "line_number": 3}, tmp_path)
    assert known in ACCEPTED and new not in ACCEPTED
    accepted_here = {f: why for f, why in ACCEPTED.items() if f.file == known.file}
    assert compare([known], accepted_here) == ([], [])
    assert compare([known, new], accepted_here) == ([new], [])
    assert compare([known, known], accepted_here) == ([known], [])
    assert compare([], accepted_here) == ([], [known])
