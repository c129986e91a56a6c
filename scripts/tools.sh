#!/usr/bin/env bash
# tools.sh — the tools `make test` and `.ci/run` need, at the versions pinned in
# scripts/versions.env, installed into a cache directory on first use.
#
#   scripts/tools.sh golangci-lint        print the path of golangci-lint
#   scripts/tools.sh terraform [VERSION]  print the path of Terraform (default: the base version)
#   scripts/tools.sh tofu [VERSION]       print the path of OpenTofu
#   scripts/tools.sh all                  install all of them, print one "name version path" line each
#   scripts/tools.sh bin-dir [VERSION]    print a directory holding that Terraform as `terraform`,
#                                         for tools that look it up on PATH (tfplugindocs)
#
# A binary on PATH of exactly the pinned version is used as is. Anything else is
# built from the Go module proxy (the only thing a machine with Go needs to
# reach) into ${PACKET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-packet/bin}
# as <name>-<version>, and reused from there. Progress goes to stderr, the path
# to stdout, so `$(scripts/tools.sh terraform)` works in make recipes.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/versions.env
source "$repo/scripts/versions.env"
tools_dir=${PACKET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-packet/bin}

say() { printf 'tools: %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

# prints_version BINARY WANT_LINE: whether `BINARY version` prints WANT_LINE
# (the exact pinned version) as a line of its own. Not only the first line:
# OpenTofu may print a CLI configuration warning before it.
prints_version() {
  "$1" version 2>/dev/null | grep -Fx "$2" >/dev/null
}

# on_path NAME WANT_LINE: the path of NAME on PATH when it is that version.
on_path() {
  local path
  path=$(command -v "$1" 2>/dev/null) || return 0
  if prints_version "$path" "$2"; then
    echo "$path"
  fi
}

# module_dir MODULE VERSION: download MODULE@VERSION from the module proxy (a
# no-op when it is in the module cache) and print its directory.
module_dir() {
  local json
  # Outside any module, so this repository's go.mod plays no part.
  json=$(cd "$tools_dir" && GOFLAGS=-mod=mod go mod download -json "$1@$2") ||
    fail "could not download $1@$2 from the Go module proxy ($(go env GOPROXY))."
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json"
}

# go_build SRC_DIR MODULE PKG OUT: build a CLI inside its own module (their
# go.mod files carry replace directives, which `go install pkg@version`
# ignores). version.dev=no is what their release builds set: without it the
# CLI calls itself "vX.Y.Z-dev", a pre-release that version checks sort below X.Y.Z.
go_build() {
  (cd "$1" && "$repo/scripts/lib/progress.sh" "go build $3 in $1" \
    env GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
    go build -trimpath -ldflags "-s -w -X $2/version.dev=no" -o "$4" "$3")
}

# Terraform's module zips (1.11, 1.14 and 1.16 alike) lack the nested modules its
# go.mod replaces with ./internal/... paths: nine remote-state backends and
# internal/legacy. In a scratch copy, drop them from go.mod, from the backend
# list and from the one test file that imports internal/legacy. Only those
# cloud state backends are lost; local state, which the tests use, stays.
# Terraform 1.11 also names `godebug tlskyber`, a setting Go 1.26 dropped
# (it only turned off an experimental TLS key exchange).
patch_terraform_source() {
  local src=$1 backends='azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3'
  sed -i -e '\#github.com/hashicorp/terraform/internal/#d' -e '/^godebug tlskyber=/d' "$src/go.mod"
  sed -i -E \
    -e "\#\"github.com/hashicorp/terraform/internal/backend/remote-state/($backends)\"#d" \
    -e '/backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\.New\(\)/d' \
    "$src/internal/backend/init/init.go"
  rm -f "$src/internal/command/views/hook_count_test.go"
}

# build_cli NAME VERSION OUT
build_cli() {
  local name=$1 version=$2 out=$3 module pkg dir scratch
  case $name in
  terraform) module=github.com/hashicorp/terraform pkg=. ;;
  tofu) module=github.com/opentofu/opentofu pkg=./cmd/tofu ;;
  esac
  say "building $name $version from the Go module proxy into $out (once: about 3-5 min on 2 cores, with the Go build cache cold)"
  local start=$SECONDS
  dir=$(module_dir "$module" "$version")
  [[ -d $dir ]] || fail "no module directory for $module@$version."
  if [[ $name == terraform ]]; then
    scratch=$(mktemp -d "$tools_dir/.src-$name-$version.XXXXXX")
    # shellcheck disable=SC2064 # expand now: the trap must remove this scratch dir
    trap "rm -rf '$scratch'" EXIT
    cp -R "$dir/." "$scratch"
    chmod -R u+w "$scratch"
    patch_terraform_source "$scratch"
    dir=$scratch
  fi
  go_build "$dir" "$module" "$pkg" "$out.tmp.$$" || {
    rm -f "$out.tmp.$$"
    fail "building $name $version failed (see above)."
  }
  mv "$out.tmp.$$" "$out"
  if [[ -n ${scratch:-} ]]; then
    rm -rf "$scratch"
    trap - EXIT
  fi
  say "built $name $version in $((SECONDS - start)) s"
}

# cli NAME VERSION: the path of a Terraform or OpenTofu CLI of that version.
cli() {
  local name=$1 version=$2 want out found
  case $name in
  terraform) want="Terraform $version" ;;
  tofu) want="OpenTofu $version" ;;
  *) fail "unknown CLI '$name' (terraform or tofu)." ;;
  esac
  found=$(on_path "$name" "$want")
  if [[ -n $found ]]; then
    echo "$found"
    return
  fi
  out=$tools_dir/$name-$version
  if [[ ! -x $out ]]; then
    with_lock build_cli "$name" "$version" "$out"
  fi
  prints_version "$out" "$want" ||
    fail "$out does not print '$want' as its version; remove it and retry."
  echo "$out"
}

golangci_lint() {
  local version=$GOLANGCI_LINT_VERSION want path out
  want="golangci-lint has version ${version#v} "
  for path in $(command -v golangci-lint 2>/dev/null) "$(go env GOPATH)/bin/golangci-lint"; do
    if [[ -x $path && $("$path" version 2>/dev/null) == "$want"* ]]; then
      echo "$path"
      return
    fi
  done
  out=$tools_dir/golangci-lint-$version
  if [[ ! -x $out ]]; then
    with_lock install_golangci_lint "$version" "$out"
  fi
  echo "$out"
}

install_golangci_lint() {
  local version=$1 out=$2 gobin start=$SECONDS
  say "installing golangci-lint $version into $out (once: about 1.5 min on 2 cores, with the Go build cache cold)"
  gobin=$(mktemp -d "$tools_dir/.gobin.XXXXXX")
  # `go install pkg@version` builds with the linter's own go.mod and go.sum, so
  # none of its dependencies enter this module's go.mod.
  (cd "$tools_dir" && "$repo/scripts/lib/progress.sh" "go install golangci-lint@$version" \
    env GOFLAGS=-buildvcs=false GOBIN="$gobin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version") || {
    rm -rf "$gobin"
    fail "installing golangci-lint $version failed (see above)."
  }
  mv "$gobin/golangci-lint" "$out"
  rm -rf "$gobin"
  say "installed golangci-lint $version in $((SECONDS - start)) s"
}

# with_lock CMD...: one installer at a time per cache directory, so parallel
# make runs do not build the same thing twice. Re-checks after the wait.
with_lock() {
  local out=${*: -1}
  if command -v flock >/dev/null; then
    (
      flock 9
      [[ -x $out ]] || "$@"
    ) 9>"$tools_dir/.lock"
  else
    "$@"
  fi
}

mkdir -p "$tools_dir"
case ${1:-} in
golangci-lint) golangci_lint ;;
terraform) cli terraform "${2:-$TERRAFORM_BASE_VERSION}" ;;
tofu) cli tofu "${2:-$OPENTOFU_VERSION}" ;;
all)
  # Each build says what it builds and roughly how long; on a fresh machine
  # all four take 10-15 min on 2 cores, afterwards this takes a second.
  # One at a time, and stop at the first failure.
  lint=$(golangci_lint)
  echo "golangci-lint $GOLANGCI_LINT_VERSION $lint"
  tf_base=$(cli terraform "$TERRAFORM_BASE_VERSION")
  echo "terraform $TERRAFORM_BASE_VERSION $tf_base"
  tf_latest=$(cli terraform "$TERRAFORM_LATEST_VERSION")
  echo "terraform $TERRAFORM_LATEST_VERSION $tf_latest"
  tofu=$(cli tofu "$OPENTOFU_VERSION")
  echo "tofu $OPENTOFU_VERSION $tofu"
  ;;
bin-dir)
  tf=$(cli terraform "${2:-$TERRAFORM_BASE_VERSION}")
  dir=$tools_dir/path-terraform-${2:-$TERRAFORM_BASE_VERSION}
  mkdir -p "$dir"
  ln -sfn "$tf" "$dir/terraform"
  echo "$dir"
  ;;
*)
  sed -n '2,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
  ;;
esac
