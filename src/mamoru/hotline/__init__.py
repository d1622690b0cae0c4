"""The hotline: public and trusted-flagger reports of URLs, assessment, police referral, deletion
requests, removal verification and the figures that feed the plan's indicators.

mamoru never downloads, stores, renders or forwards reported content: a case holds the URL, metadata,
assessments and hashes. The only requests made to a reported address are removal checks (see
`checker.py`), which read status and redirects, never a body.
"""
