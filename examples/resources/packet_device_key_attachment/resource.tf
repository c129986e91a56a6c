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

  # Optional: authorized_keys options, written before the key and checked at
  # plan time as sshd parses them. The API keeps no options; this line does.
  options = "from=\"10.0.0.0/8\",no-agent-forwarding,no-port-forwarding"

  # Optional: how to reach the device. By default its public IPv4, as root,
  # with the provider's ssh credentials, pinning its host key on first use.
  ssh = {
    private_key_file = "~/.ssh/id_ed25519"
    known_hosts_file = "~/.ssh/known_hosts" # strict: the device must be in it
  }
}

variable "project_id" {
  type = string
}

variable "device_id" {
  type = string
}
