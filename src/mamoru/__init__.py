"""mamoru: the software that runs Japan's Basic Plan on Measures against Child Sexual Exploitation.

The package is split by domain (plan, hotline, matching, blocklist); see docs/architecture.md.
"""

__version__ = "0.1.0"
