#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: a .venv with the given requirements file installed.
# Re-installs only when the requirements change (a stamp file holds their checksum).
set -euo pipefail
req="${1:?usage: bootstrap.sh requirements/<file>.txt}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

py="${PYTHON:-python3.11}"
if ! command -v "$py" >/dev/null 2>&1; then
  echo "error: $py not found; FertiVision needs Python 3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$req" .txt)"
sum="$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "==> installing $req into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null \
    2> >(grep -v "^WARNING: Location '" >&2)
  # torch is pinned (requirements/ml.txt); an unpinned torch would pull gigabytes of CUDA.
  # (grep drops pip's notes about optional local package folders this machine may not have)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req" \
    2> >(grep -v "^WARNING: Location '" >&2)
  echo "$sum" > "$stamp"
fi
