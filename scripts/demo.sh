#!/usr/bin/env bash
# demo.sh — the SSH keys story end to end, offline (`make demo`).
#
# Starts packet-mock on 127.0.0.1 with one project and one running device, points
# Terraform (or OpenTofu) at the local build through a temporary CLI config with
# dev_overrides, applies examples/demo/ (PuTTY key -> project key, OpenSSH .pub ->
# personal key, project key -> attached to the running device), logs in to the
# device with the PuTTY key over SSH, puts a deploy key on the same server by its
# address alone (packet_authorized_key) and logs in with it too, reads the same key in another form (one
# OpenSSH line, another comment) and checks that the plan shows no changes,
# destroys everything and stops the mock.
#
# Needs: the binaries of `make build` (or BIN_DIR pointing at them), terraform or
# tofu on PATH (or TF_CLI=path), curl, and the OpenSSH client (else `go` for a Go client).
# No account, no network: everything listens on 127.0.0.1.
#
# Environment:
#   BIN_DIR     directory with terraform-provider-packet and packet-mock (default <repo>/bin)
#   TF_CLI      terraform or tofu binary to use (default: terraform, else tofu, from PATH)
#   SSH_CLIENT  openssh or go (default: openssh when `ssh` is on PATH)
#   OTHER_FORM  the key file the no-change plan reads, relative to examples/demo
#               (default keys/putty-demo-renamed.pub; the demo's tests give it
#               another key to see the check fail)
#
# Every temporary file lives in one directory that is removed on any exit,
# Ctrl-C included, after packet-mock has been stopped.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/dev-overrides.sh
source "$repo/scripts/lib/dev-overrides.sh"
bin_dir=${BIN_DIR:-$repo/bin}
demo_src=$repo/examples/demo

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

# --- what we need -------------------------------------------------------------
tf=${TF_CLI:-$(command -v terraform || command -v tofu || true)}
[[ -n $tf ]] || fail "needs terraform or tofu on PATH (or TF_CLI=path); install one and retry."
# "terraform" or "tofu", also for scripts/tools.sh's terraform-v1.11.4.
tf_name=$(basename "$tf")
tf_name=${tf_name%%-v[0-9]*}
for b in terraform-provider-packet packet-mock; do
  [[ -x $bin_dir/$b ]] || fail "$bin_dir/$b is missing: run 'make build' (or 'make demo', which builds first)."
done
command -v curl >/dev/null || fail "needs curl, to read the simulated device's host key from packet-mock."
ssh_client=${SSH_CLIENT:-$(command -v ssh >/dev/null && echo openssh || echo go)}
case $ssh_client in
openssh) command -v ssh >/dev/null || fail "SSH_CLIENT=openssh but ssh is not on PATH." ;;
go) command -v go >/dev/null || fail "no OpenSSH client (ssh) and no go to run the Go client with." ;;
*) fail "SSH_CLIENT must be openssh or go, not '$ssh_client'." ;;
esac

# --- cleanup on any exit --------------------------------------------------------
work=""
mock_pid=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $mock_pid ]] && kill -0 "$mock_pid" 2>/dev/null; then
    step "Stopping packet-mock (pid $mock_pid)"
    kill -TERM "$mock_pid" 2>/dev/null || true
    # It shuts down within its own 10 s limit; do not wait for ever.
    for _ in $(seq 1 120); do
      kill -0 "$mock_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
  fi
  if [[ -n $work ]]; then
    if ((status != 0)) && [[ -s $work/mock.log ]]; then
      printf '\n--- last lines of the packet-mock log\n' >&2
      tail -n 20 "$work/mock.log" >&2 || true
    fi
    rm -rf "$work"
  fi
  if ((status == 0)); then
    printf '\n==> Done: everything was destroyed, packet-mock stopped, temporary files removed.\n'
  else
    printf '\ndemo: stopped (exit %d); packet-mock stopped and temporary files removed.\n' "$status" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/packet-demo.XXXXXX")
step "Working in $work (removed at the end)"

# --- packet-mock ------------------------------------------------------------------
# A throwaway token for this run only; the mock never prints it.
token="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
step "Starting packet-mock on 127.0.0.1 with a project, an operator key and a running device 'web-1'"
# TMPDIR: the simulated device's filesystem goes inside $work, so nothing outlives the demo.
# set -m gives the mock its own process group: Ctrl-C then reaches terraform, which
# stops cleanly while the API still answers, and cleanup stops the mock after it.
set -m
TMPDIR=$work "$bin_dir/packet-mock" --listen 127.0.0.1:0 --token "$token" \
  --seed "$demo_src/seed.json" --device web-1 </dev/null >"$work/mock.out" 2>"$work/mock.log" &
mock_pid=$!
set +m
echo "packet-mock pid $mock_pid"

for _ in $(seq 1 100); do
  grep -q '^device_id=' "$work/mock.out" 2>/dev/null && break
  kill -0 "$mock_pid" 2>/dev/null || fail "packet-mock exited at start."
  sleep 0.1
done
summary() { sed -n "s/^$1=//p" "$work/mock.out" | head -n 1; }
api_url=$(summary api_url)
project_id=$(summary project_id)
device_id=$(summary device_id)
[[ -n $api_url && -n $project_id && -n $device_id ]] || fail "packet-mock did not print api_url, project_id and device_id within 10 s."
printf '  api_url    = %s\n  project_id = %s\n  device_id  = %s (web-1)\n' "$api_url" "$project_id" "$device_id"

# --- Terraform against the local build --------------------------------------------
step "Pointing $tf_name at the local build in $bin_dir (dev_overrides, no registry, no init)"
write_dev_overrides_config "$tf" "$bin_dir" "$work/cli.tfrc"
export TF_CLI_CONFIG_FILE=$work/cli.tfrc
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
# The example is copied so state and lock files never land in the repository.
cp -R "$demo_src" "$work/demo"
rm -f "$work/demo/"*.tfstate* "$work/demo/.terraform.lock.hcl"
rm -rf "$work/demo/.terraform"
export TF_VAR_api_url=$api_url TF_VAR_token=$token TF_VAR_project_id=$project_id TF_VAR_device_id=$device_id
tf() { "$tf" -chdir="$work/demo" "$@"; }

step "$tf_name apply: PuTTY .ppk -> project key, OpenSSH .pub -> personal key, project key -> attached to web-1, deploy key -> web-1 by address"
echo "(the outputs are the fingerprints as the portal shows them, MD5, and as ssh-keygen -l prints them, SHA256)"
tf apply -auto-approve -no-color -compact-warnings

step "What packet_ssh_public_key read from the .ppk"
tf state show -no-color data.packet_ssh_public_key.putty | grep -E '^ +(format|public_key|fingerprint_sha256) +='

# --- a real login with the attached key ---------------------------------------------
host=$(tf output -raw device_host)
port=$(tf output -raw device_ssh_port)
# The public API has no host-key field; packet-mock adds one (a mock-only
# extension), so the login can check the simulated device's host key strictly.
host_key=$(curl -fsS -H "X-Auth-Token: $token" "${api_url%/}/devices/$device_id" |
  sed -n 's/.*"ssh_host_key":"\([^"]*\)".*/\1/p')
[[ -n $host_key ]] || fail "packet-mock did not give web-1's host key."
printf '[%s]:%s %s\n' "$host" "$port" "$host_key" >"$work/known_hosts"
# ssh refuses private keys others can read; git does not keep the mode.
install -m 600 "$demo_src/keys/putty-demo.openssh" "$work/login_key"
install -m 600 "$demo_src/keys/deploy" "$work/deploy_key"

# login [KEY_FILE] COMMAND...: the PuTTY key unless another key file is named.
login() {
  local key=$work/login_key
  if [[ $1 == "$work/"* ]]; then
    key=$1
    shift
  fi
  if [[ $ssh_client == openssh ]]; then
    ssh -F /dev/null -i "$key" -p "$port" \
      -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o PasswordAuthentication=no \
      -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null \
      -o ConnectTimeout=10 -o LogLevel=ERROR "root@$host" "$@"
  else
    (cd "$repo" && go run ./internal/demo/sshlogin -host "$host" -port "$port" -user root \
      -key "$key" -known-hosts "$work/known_hosts" -- "$@")
  fi
}

step "Logging in to web-1 as root with the PuTTY key, $ssh_client client ($host port $port, host key checked)"
reply=$(login echo "hello from web-1: the PuTTY key works") || fail "ssh login with the attached key failed."
echo "  device says: $reply"

step "Logging in with the deploy key packet_authorized_key put there by address alone (no device id, no API)"
reply=$(login "$work/deploy_key" echo "hello from web-1: the deploy key works") || fail "ssh login with the deploy key failed."
echo "  device says: $reply"

# --- the headline promise: another form of the same key is no change -------------
step "The same key in another form: one OpenSSH line with another comment instead of the .ppk; the plan must show no changes"
other_form=${OTHER_FORM:-keys/putty-demo-renamed.pub}
echo "  $other_form: $(cat "$demo_src/$other_form")"
# -detailed-exitcode: 0 = no changes, 2 = changes (a false diff), 1 = error.
plan_status=0
TF_VAR_putty_key_file=$other_form tf plan -detailed-exitcode -no-color -compact-warnings || plan_status=$?
case $plan_status in
0) echo "  no changes: the provider compares keys, not their spelling" ;;
2) fail "the plan shows changes after only the key's form and comment changed (a false diff)." ;;
*) fail "terraform plan failed (exit $plan_status)." ;;
esac

# --- destroy ---------------------------------------------------------------------------
step "$tf_name destroy: both lines leave web-1's authorized_keys, both keys leave the API"
tf destroy -auto-approve -no-color -compact-warnings

step "Checking that neither the PuTTY key nor the deploy key logs in any more"
if login true 2>/dev/null; then
  fail "the PuTTY key still logs in after destroy."
fi
if login "$work/deploy_key" true 2>/dev/null; then
  fail "the deploy key still logs in after destroy."
fi
echo "  refused, as it should be"
