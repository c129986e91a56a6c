variable "project_id" {
  type = string
}

# By project and hostname (or by id alone).
data "packet_device" "web" {
  project_id = var.project_id
  hostname   = "web-1"
}

data "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
}

# The platform puts keys on a server only when it is provisioned: is the
# deploy key there, or does it need an attachment?
output "deploy_key_on_web" {
  value = contains(data.packet_device.web.ssh_key_ids, data.packet_project_ssh_key.deploy.id)
}

output "ssh_command" {
  value = "ssh -p ${data.packet_device.web.ssh_port} root@${data.packet_device.web.public_ipv4}"
}
