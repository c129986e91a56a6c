# Rotating a key without losing access: give the new key, apply. With
# create_before_destroy the new key is made and its line is on every server,
# written and read back, before the old line is taken off and the old key
# deleted. A failed attachment stops the apply with the old key still in place.
variable "project_id" {
  type = string
}

variable "device_ids" {
  description = "The servers the key goes on."
  type        = list(string)
}

variable "public_key" {
  description = "The current key; change it to rotate."
  type        = string
}

resource "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
  public_key = var.public_key

  lifecycle {
    create_before_destroy = true
  }
}

resource "packet_device_key_attachment" "deploy" {
  for_each   = toset(var.device_ids)
  device_id  = each.key
  ssh_key_id = packet_project_ssh_key.deploy.id

  lifecycle {
    create_before_destroy = true
  }
}
