# A personal key: put on new servers in every project you own or collaborate on.
resource "packet_user_ssh_key" "me" {
  name       = "alice@laptop"
  public_key = file("~/.ssh/id_ed25519.pub")
}

# A key read from a PuTTY .ppk file: the public half is derived, no passphrase needed.
data "packet_ssh_public_key" "putty" {
  path = "${path.module}/keys/alice.ppk"
}

resource "packet_user_ssh_key" "putty" {
  name       = "alice@windows"
  public_key = data.packet_ssh_public_key.putty.public_key
}
