# A key made in PuTTYgen, put on a server that already runs. The .ppk file's
# public half is read without its passphrase; nothing private reaches state.
data "packet_ssh_public_key" "oncall" {
  path = "${path.module}/keys/oncall.ppk"
}

resource "packet_project_ssh_key" "oncall" {
  project_id = var.project_id
  name       = "oncall"
  public_key = data.packet_ssh_public_key.oncall.public_key
}

resource "packet_device_key_attachment" "oncall" {
  device_id  = var.device_id
  ssh_key_id = packet_project_ssh_key.oncall.id

  # Optional: how to reach the device. By default its public IPv4, as root,
  # with the provider's ssh credentials, checking the host key.
  ssh = {
    private_key_file = "~/.ssh/id_ed25519"
    known_hosts_file = "~/.ssh/known_hosts"
  }
}

variable "project_id" {
  type = string
}

variable "device_id" {
  type = string
}
