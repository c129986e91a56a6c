# Terraform 1.11 and later: log in with a private key that never reaches
# state or plan, e.g. passed from a secret store as an ephemeral variable.
variable "login_private_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "device_id" {
  type = string
}

variable "ssh_key_id" {
  type = string
}

resource "packet_device_key_attachment" "deploy" {
  device_id  = var.device_id
  ssh_key_id = var.ssh_key_id

  ssh = {
    private_key_wo = var.login_private_key
    # Terraform cannot see a write-only value change: bump this with the key.
    private_key_wo_version = 1
  }
}
