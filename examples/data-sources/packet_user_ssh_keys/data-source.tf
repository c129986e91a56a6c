# All personal keys of the token's user: they go on every new server in every
# project the user belongs to, so it is worth knowing which there are.
data "packet_user_ssh_keys" "mine" {}

output "personal_keys" {
  value = [for k in data.packet_user_ssh_keys.mine.keys : "${k.name} (${k.algorithm}, created ${k.created})"]
}

# Only the RSA ones, for instance to replace them with ed25519 keys.
data "packet_user_ssh_keys" "rsa" {
  algorithm = "RSA"
}
