variable "project_id" {
  type = string
}

variable "device_id" {
  type = string
}

# Every ED25519 deploy key of the project...
data "packet_project_ssh_keys" "deploy" {
  project_id = var.project_id
  name_regex = "^deploy-"
  algorithm  = "ED25519"
}

# ...attached to a server that already runs.
resource "packet_device_key_attachment" "deploy" {
  for_each = toset(data.packet_project_ssh_keys.deploy.ids)

  device_id  = var.device_id
  ssh_key_id = each.key
}

# An audit: name and SHA256 fingerprint of every key in the project.
data "packet_project_ssh_keys" "all" {
  project_id = var.project_id
}

output "project_keys" {
  value = { for k in data.packet_project_ssh_keys.all.keys : k.id => "${k.name} ${k.fingerprint_sha256}" }
}
