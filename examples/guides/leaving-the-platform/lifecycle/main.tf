# Terraform 1.16 or later, OpenTofu 1.12 or later: each resource stays in the
# configuration with destroy = false until a destroy run has forgotten it.

variable "project_id" {
  type = string
}

variable "device_id" {
  type = string
}

resource "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
  public_key = file("${path.module}/keys/deploy.pub")

  lifecycle {
    destroy = false
  }
}

resource "packet_user_ssh_key" "laptop" {
  name       = "laptop"
  public_key = file("${path.module}/keys/laptop.pub")

  lifecycle {
    destroy = false
  }
}

resource "packet_ssh_key" "old_laptop" {
  name       = "old-laptop"
  public_key = file("${path.module}/keys/old-laptop.pub")

  lifecycle {
    destroy = false
  }
}

resource "packet_device_key_attachment" "deploy" {
  device_id  = var.device_id
  ssh_key_id = packet_project_ssh_key.deploy.id

  lifecycle {
    destroy = false
  }
}
