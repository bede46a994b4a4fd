"""Random API tokens for `make run` (scripts/run.sh) that can never be taken for a command-line option.

``secrets.token_urlsafe`` may begin with "-" (1.6 % of tokens): ``rasa run --auth-token -x...``
then stops with "argument -t/--auth-token: expected one argument". Hexadecimal digits never do.
"""

from __future__ import annotations

import secrets

#: 24 random bytes: 192 bits, as before.
TOKEN_BYTES = 24


def api_token() -> str:
    """Returns a new random token of 48 hexadecimal digits."""
    return secrets.token_hex(TOKEN_BYTES)


if __name__ == "__main__":
    print(api_token())
