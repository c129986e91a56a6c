variable "project_id" {
  type = string
}

variable "public_key" {
  description = "The key to put on the servers, in any public format packet_ssh_public_key reads."
  type        = string
}

resource "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
  public_key = var.public_key
}

# The portal's "all of them": every active server of the project tagged "web".
data "packet_devices" "web" {
  project_id = var.project_id
  tag        = "web"
  state      = "active"
}

# The platform copies keys onto a server only when it is provisioned; one
# attachment per running server puts the new key on each of them now.
resource "packet_device_key_attachment" "deploy" {
  for_each   = toset(data.packet_devices.web.ids)
  device_id  = each.key
  ssh_key_id = packet_project_ssh_key.deploy.id
}

output "web_servers" {
  value = { for d in data.packet_devices.web.devices : d.hostname => d.public_ipv4 }
}
