# shellcheck shell=bash
# write_dev_overrides_config TF_CLI BIN_DIR FILE writes a Terraform CLI config
# that makes terraform or tofu use the provider binary in BIN_DIR for
# packethost/packet, so nothing is downloaded and no `init` is needed.
# Sourced by demo.sh and check-examples.sh.
write_dev_overrides_config() {
  local tf=$1 bin_dir=$2 file=$3 registry=registry.terraform.io
  # OpenTofu resolves "packethost/packet" on its own registry host.
  if "$tf" version 2>/dev/null | grep -q OpenTofu; then
    registry=registry.opentofu.org
  fi
  cat >"$file" <<CONFIG
disable_checkpoint = true
provider_installation {
  dev_overrides {
    "$registry/packethost/packet" = "$bin_dir"
  }
  direct {}
}
CONFIG
}
