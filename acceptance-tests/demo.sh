#!/usr/bin/env bash
# `make demo`: the seed scenario end to end against a local AWS, in one go.
#
#   1. start the local AWS emulator (it lives only as long as this script)
#   2. make the seed's world through the AWS API: ECS cluster "prod", backend services with
#      named port mappings (backend-8080-tcp, orders-9090-tcp, payments-7070-tcp) and a
#      client-only caller (frontend)
#   3. install the freshly built provider for Terraform (a filesystem mirror in a temp dir)
#   4. terraform init + apply examples/quickstart
#   5. print the endpoints output and check, through the AWS API, what the provider did,
#      then the quickstart's check "names_resolve": a healthy instance behind every name
#   6. show that a second plan has nothing to do
#   7. destroy, and show through the AWS API that nothing is left
#
# Environment: PROVIDER_BINARY (default: the release build in cargo's target directory),
# TERRAFORM (default the pinned acceptance-tests/bin/terraform), KEEP_WORKDIR=1 to keep
# the temp directory. Nothing outside the temp directory is written.
set -euo pipefail
# Job control: every background job (the emulator, each terraform) leads its own process
# group, so cleanup can stop the whole group, plugins included.
set -m

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PROVIDER_BINARY:-}" ]; then
  # Where cargo put the release build: target/, CARGO_TARGET_DIR or build.target-dir.
  target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  PROVIDER_BINARY="$target_dir/release/terraform-provider-servicemesh"
fi
provider_binary="$PROVIDER_BINARY"
terraform="${TERRAFORM:-$root/acceptance-tests/bin/terraform}"
python="$root/acceptance-tests/.venv/bin/python"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
cluster="prod"
namespace="internal.myapp"

if [ -t 1 ]; then
  bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' reset=$'\e[0m' no_color=()
else
  bold="" green="" red="" reset="" no_color=(-no-color)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/servicemesh-demo.XXXXXX")"
emulator_pid=""
terraform_pid=""
started=$SECONDS
step_no=0

# Stops a process group: TERM, up to 5 s to finish, then KILL.
stop_group() {
  local pid="$1"
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$terraform_pid" ]; then
    echo "demo: stopping terraform (pid $terraform_pid)" >&2
    stop_group "$terraform_pid"
  fi
  if [ -n "$emulator_pid" ]; then
    # Closing its stdin stops it cleanly (--stop-on-stdin-eof). A SIGTERM while its
    # stdin-watching thread waits makes Python abort at shutdown, so that is the fallback.
    exec 7>&-
    for _ in $(seq 50); do
      kill -0 "$emulator_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_group "$emulator_pid"
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$work/emulator.log" ]; then
    echo "--- last lines of the emulator's log ---" >&2
    tail -n 20 "$work/emulator.log" >&2
  fi
  if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
    echo "demo: kept $work" >&2
  else
    rm -rf "$work"
  fi
  if [ "$status" -ne 0 ]; then
    echo "${red}${bold}demo failed${reset} (exit $status) after $((SECONDS - started)) s" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
  step_no=$((step_no + 1))
  printf '\n%s==> [%d/7] %s%s  (%d s)\n' "$bold" "$step_no" "$1" "$reset" "$((SECONDS - started))"
}

ok() {
  printf '%s%s%s\n' "$green" "$1" "$reset"
}

# Runs terraform in the background (its own process group) and waits, so that a signal to
# this script reaches cleanup at once instead of after terraform finishes.
tf() {
  local rc=0
  "$terraform" "$@" </dev/null &
  terraform_pid=$!
  wait "$terraform_pid" || rc=$?
  terraform_pid=""
  return "$rc"
}

for needed in "$provider_binary" "$terraform" "$python"; do
  if [ ! -x "$needed" ]; then
    echo "demo: $needed is missing: run \`make demo\` (it builds and bootstraps first)" >&2
    exit 1
  fi
done

# Nothing from the caller's AWS or Terraform set-up may leak in.
for var in $(compgen -e | grep -E '^(AWS_|TF_)' || true); do
  unset "$var"
done
export HOME="$work/home" TF_DATA_DIR="$work/quickstart/.terraform"
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=AKIDDEMODEMODEMO AWS_SECRET_ACCESS_KEY=demo-secret
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"

# 1 ---------------------------------------------------------------------------------------
step "Starting the local AWS emulator"
mkfifo "$work/emulator.stdin"
"$root/acceptance-tests/emulator/run" --port 0 --stop-on-stdin-eof \
  <"$work/emulator.stdin" >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
# Hold its stdin open: should this script die without cleanup, the emulator sees EOF and stops.
exec 7>"$work/emulator.stdin"
port=""
for _ in $(seq 300); do
  if read -r ready port_read <"$work/emulator.out" 2>/dev/null && [ "$ready" = READY ]; then
    port="$port_read"
    break
  fi
  kill -0 "$emulator_pid" 2>/dev/null || { echo "demo: the emulator exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "demo: the emulator did not print READY within 30 s" >&2; exit 1; }
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
echo "  emulator (pid $emulator_pid) serving ECS, Cloud Map and Route 53 at $AWS_ENDPOINT_URL"

# 2 ---------------------------------------------------------------------------------------
step "Creating the seed's world through the AWS API"
"$python" "$root/acceptance-tests/demo_aws.py" seed "$cluster" "$work/vpc_id"
vpc_id="$(cat "$work/vpc_id")"

# 3 ---------------------------------------------------------------------------------------
step "Installing the provider for Terraform"
mirror="$work/mirror/registry.terraform.io/servicemesh/servicemesh/$version/linux_amd64"
mkdir -p "$mirror"
cp "$provider_binary" "$mirror/terraform-provider-servicemesh_v$version"
cat >"$TF_CLI_CONFIG_FILE" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/servicemesh/*"]
  }
  direct {
    exclude = ["registry.terraform.io/servicemesh/*"]
  }
}
EOF
echo "  $(basename "$provider_binary") $version ($(du -h "$provider_binary" | cut -f1)) in a filesystem mirror: $work/mirror"
echo "  $("$terraform" version | head -1)"

# 4 ---------------------------------------------------------------------------------------
step "terraform init && terraform apply (examples/quickstart)"
mkdir -p "$work/quickstart"
cp "$root"/examples/quickstart/*.tf "$work/quickstart/"
cd "$work/quickstart"
export TF_VAR_cluster="$cluster" TF_VAR_vpc_id="$vpc_id"
tf init "${no_color[@]}" >"$work/init.txt" || { cat "$work/init.txt"; exit 1; }
grep -E '^(- |Terraform has been successfully initialized)' "$work/init.txt" | sed 's/^/  /'
tf apply -auto-approve "${no_color[@]}"

# 5 ---------------------------------------------------------------------------------------
step "Endpoints, and what AWS now says"
echo "  terraform output endpoints:"
tf output -json endpoints >"$work/endpoints.json"
"$python" - "$work/endpoints.json" <<'EOF'
import json, sys
for service, endpoint in sorted(json.load(open(sys.argv[1])).items()):
    print(f"    {service} \u2192 {endpoint}")
EOF
echo "  read back from the AWS API:"
"$python" "$root/acceptance-tests/demo_aws.py" check "$cluster" "$namespace"
ok "  every discovery name maps to its Cloud Map service; every PRIMARY deployment carries its configuration"
echo "  check \"names_resolve\" (data.servicemesh_internal.mesh, read only): instances behind each name"
tf output -json instances >"$work/instances.json"
"$python" - "$work/instances.json" <<'EOF'
import json, sys
instances = json.load(open(sys.argv[1]))
for name, count in sorted(instances.items()):
    print(f"    {name}: {count['healthy']} healthy of {count['registered']} registered")
# The check block's condition, so that the demo fails where the check would only warn.
if not instances or not all(count["healthy"] > 0 for count in instances.values()):
    sys.exit("    some name has no healthy instance")
EOF
ok "  every name resolves to a healthy instance: the check passes"

# 6 ---------------------------------------------------------------------------------------
step "terraform plan -detailed-exitcode (expect no changes)"
rc=0
tf plan -detailed-exitcode "${no_color[@]}" >"$work/plan.txt" || rc=$?
case "$rc" in
  0)
    if grep -q 'Check block assertion failed' "$work/plan.txt"; then
      cat "$work/plan.txt"
      echo "${red}  the check \"names_resolve\" failed${reset}" >&2
      exit 1
    fi
    grep -E '^No changes' "$work/plan.txt" | sed 's/^/  /' || true
    ok "  exit code 0: the real infrastructure matches the configuration" ;;
  2)
    cat "$work/plan.txt"
    echo "${red}  exit code 2: the plan shows changes right after apply${reset}" >&2
    exit 1 ;;
  *)
    cat "$work/plan.txt"
    exit "$rc" ;;
esac

# 7 ---------------------------------------------------------------------------------------
step "terraform destroy, and what is left"
tf destroy -auto-approve "${no_color[@]}" >"$work/destroy.txt" || { cat "$work/destroy.txt"; exit 1; }
grep -E '(Plan:|Destroying|Still destroying|Destruction complete|Destroy complete)' "$work/destroy.txt" | sed 's/^/  /'
"$python" "$root/acceptance-tests/demo_aws.py" gone "$cluster" "$namespace"
ok "  nothing left: no namespace, no Cloud Map service, Service Connect off everywhere"

printf '\n%sDemo done in %d s.%s\n' "$bold" "$((SECONDS - started))" "$reset"
