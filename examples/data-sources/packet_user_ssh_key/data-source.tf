# One of the token user's personal keys, by name, id, fingerprint or public key.
data "packet_user_ssh_key" "laptop" {
  name = "alice@laptop"
}

data "packet_user_ssh_key" "by_key" {
  public_key = file("~/.ssh/id_ed25519.pub")
}

output "laptop_key" {
  value = {
    id                 = data.packet_user_ssh_key.laptop.id
    fingerprint        = data.packet_user_ssh_key.laptop.fingerprint
    fingerprint_sha256 = data.packet_user_ssh_key.laptop.fingerprint_sha256
  }
}
