# Terraform 1.8 and later.
locals {
  key = file("~/.ssh/id_ed25519.pub")
}

output "fingerprints" {
  value = {
    md5    = provider::packet::public_key_fingerprint(local.key, "md5")
    sha256 = provider::packet::public_key_fingerprint(local.key, "sha256")
  }
}
