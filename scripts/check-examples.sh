#!/usr/bin/env bash
# check-examples.sh — every example must be formatted and valid against the
# local build of the provider (`make examples-check`).
#
#   1. terraform fmt -check -recursive examples
#   2. terraform validate in every directory under examples/ that has .tf files
#
# Validation uses a temporary CLI config with dev_overrides pointing at BIN_DIR
# (default <repo>/bin, filled by `make build`), so nothing is downloaded and no
# `terraform init` runs. Each example is validated in a temporary copy so no
# .terraform directory or lock file lands in the repository. Examples that
# rely on the doc convention of leaving out `required_providers` get one added
# in the copy (without it Terraform would look for hashicorp/packet).
#
# Examples read the reader's own public keys with file() ("~/.ssh/id_ed25519.pub",
# "${path.module}/keys/admin-putty.pub"), and validate evaluates file() calls.
# The check runs with a temporary HOME holding a stand-in ~/.ssh/id_ed25519.pub,
# and puts a stand-in (PuTTYgen's RFC 4716 form) in the copy for any missing
# "${path.module}/...pub" file; it names each stand-in it uses.
#
# Environment: BIN_DIR as above; TF_CLI = terraform or tofu binary (default: from PATH).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/dev-overrides.sh
source "$repo/scripts/lib/dev-overrides.sh"
bin_dir=${BIN_DIR:-$repo/bin}
cd "$repo"

tf=${TF_CLI:-$(command -v terraform || command -v tofu || true)}
if [[ -z $tf ]]; then
  echo 'check-examples: needs terraform or tofu on PATH (or TF_CLI=path); install one and retry.' >&2
  exit 1
fi
if [[ ! -x $bin_dir/terraform-provider-packet ]]; then
  echo "check-examples: $bin_dir/terraform-provider-packet is missing: run 'make build'." >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/packet-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

write_dev_overrides_config "$tf" "$bin_dir" "$work/cli.tfrc"
export TF_CLI_CONFIG_FILE=$work/cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

# Throwaway public keys of examples/demo stand in for the reader's own.
standin_openssh=$repo/examples/demo/keys/alice.pub
standin_rfc4716=$repo/examples/demo/keys/putty-demo-rfc4716.pub
mkdir -p "$work/home/.ssh"
cp "$standin_openssh" "$work/home/.ssh/id_ed25519.pub"
export HOME=$work/home
echo "==> HOME is a temporary directory with a stand-in ~/.ssh/id_ed25519.pub"

echo "==> $(basename "$tf") fmt -check -recursive examples"
if ! "$tf" fmt -check -recursive -diff examples; then
  echo 'check-examples: the files above are not formatted: run make fmt.' >&2
  exit 1
fi

failed=()
count=0
while IFS= read -r dir; do
  count=$((count + 1))
  copy=$work/$count
  mkdir -p "$copy"
  # Only the example's own files: .tf plus whatever it reads (keys, seed files).
  (cd "$dir" && tar --exclude=.terraform --exclude='*.tfstate*' --exclude=.terraform.lock.hcl -cf - .) | (cd "$copy" && tar -xf -)
  if ! grep -qs 'required_providers' "$copy"/*.tf; then
    cat >"$copy/zz_check_examples_providers.tf" <<'EOF'
terraform {
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}
EOF
  fi
  notes=""
  # shellcheck disable=SC2016 # the ${path.module} is Terraform's, matched literally
  while IFS= read -r rel; do
    if [[ ! -e $copy/$rel ]]; then
      mkdir -p "$(dirname "$copy/$rel")"
      cp "$standin_rfc4716" "$copy/$rel"
      notes+=" (stand-in for the reader's $rel)"
    fi
  done < <(grep -ho 'file("${path.module}/[^"]*\.pub")' "$copy"/*.tf | sed 's|^file("${path.module}/||; s|")$||' | sort -u)
  if out=$("$tf" -chdir="$copy" validate -no-color 2>&1); then
    echo "ok      $dir$notes"
  else
    echo "FAILED  $dir$notes"
    sed 's/^/        /' <<<"$out"
    failed+=("$dir")
  fi
done < <(find examples -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | sort -u)

if ((count == 0)); then
  echo 'check-examples: no example directories found under examples/.' >&2
  exit 1
fi
if ((${#failed[@]} > 0)); then
  echo "check-examples: ${#failed[@]} of $count example directories do not validate: ${failed[*]}" >&2
  exit 1
fi
echo "==> all $count example directories are formatted and valid"
