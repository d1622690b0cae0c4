"""The blocking list: reviewed, versioned entries (URL, host, domain), compiled, signed and served.

Pure parts (no database, no web): `compiler` (entries -> artifact bytes + digest for RPZ, hosts,
CSV, JSON and the hashed form), `checker` (is a URL blocked, and by which entry), `delta`
(changes between versions) and `signing` (Ed25519 signatures of snapshots and deltas).
The database side is in `models` and `service`; the feed for subscribers in `mamoru.web.blocklist.feed`.
"""
