# A PuTTY private key file: only the public half is read (it is stored in
# clear in the file), so no passphrase is needed and nothing private reaches state.
data "packet_ssh_public_key" "putty" {
  path = "${path.module}/keys/admin.ppk"
}

# PuTTYgen's "Save public key" file, or any key text.
data "packet_ssh_public_key" "pasted" {
  content = <<-EOT
    ---- BEGIN SSH2 PUBLIC KEY ----
    Comment: "ed25519-key-20240101"
    AAAAC3NzaC1lZDI1NTE5AAAAIKvsF7MWJxEUXWsgw88B1rpynugiOMIlq00JDOThegtr
    ---- END SSH2 PUBLIC KEY ----
  EOT
}

output "putty_public_key" {
  value = data.packet_ssh_public_key.putty.public_key
}

output "fingerprints" {
  value = {
    md5    = data.packet_ssh_public_key.pasted.fingerprint_md5
    sha256 = data.packet_ssh_public_key.pasted.fingerprint_sha256
  }
}
