#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa Open Source 3.6 supports 3.8-3.10; we use 3.10),
# or explains how to get one and exits 1.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v pyenv >/dev/null 2>&1 && candidates+=("$(pyenv root)/versions/$(cat "$(dirname "$0")/../.python-version")/bin/python")
candidates+=(/root/.pyenv/versions/3.10.13/bin/python "${HOME:-/root}"/.pyenv/versions/3.10*/bin/python python3.10 python3)
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  version=$("$path" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  if [ "$version" = "3.10" ]; then
    echo "$path"
    exit 0
  fi
done
cat >&2 <<'MSG'
error: Python 3.10 was not found (Rasa Open Source 3.6 needs Python 3.8-3.10; this project uses 3.10).
Fix: install it with pyenv ("pyenv install 3.10.13"; the repository's .python-version selects it)
or with your system's package manager (e.g. "apt-get install python3.10 python3.10-venv"),
or point PYTHON at a 3.10 interpreter: make run PYTHON=/path/to/python3.10
MSG
exit 1
