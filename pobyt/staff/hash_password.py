"""Prints a staff account entry for ``POBYT_STAFF_ACCOUNTS``: ``python -m pobyt.staff.hash_password anna``.

The password is read without echo (or from standard input when it is not a terminal).
"""

from __future__ import annotations

import getpass
import sys
from typing import List, Optional

from pobyt.staff.auth import hash_password


def main(argv: Optional[List[str]] = None) -> int:
    """Reads a password and prints ``user:pbkdf2_sha256$...`` (returns the exit status)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0] or any(c in args[0] for c in ":,"):
        print("usage: python -m pobyt.staff.hash_password USER  (no ':' or ',' in USER)", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("Use at least 8 characters.", file=sys.stderr)
        return 1
    print(f"{args[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
