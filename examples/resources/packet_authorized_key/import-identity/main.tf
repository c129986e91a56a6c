# Terraform 1.12+ (or OpenTofu 1.12): import a line placed by hand by its
# identity. port, user and authorized_keys_path default to 22, root and
# .ssh/authorized_keys. An imported line is pre_existing: destroy leaves it.
import {
  to = packet_authorized_key.adopted
  identity = {
    host               = "203.0.113.10"
    fingerprint_sha256 = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
  }
}

resource "packet_authorized_key" "adopted" {
  host       = "203.0.113.10"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJcpl9EuTB3QcnO6xn2iEGRqGVcv0Fd6cPBJiONNSkVn adopted"
}
