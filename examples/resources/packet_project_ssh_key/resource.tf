# The .pub file ssh-keygen writes, as is.
resource "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
  public_key = file("~/.ssh/id_ed25519.pub")
  tags       = ["ci"]
}

# PuTTYgen's "Save public key" file (RFC 4716) works too: it is converted to
# the one-line form the API takes. No hand editing.
resource "packet_project_ssh_key" "windows_admin" {
  project_id = var.project_id
  name       = "windows-admin"
  public_key = file("${path.module}/keys/admin-putty.pub")
}

variable "project_id" {
  type = string
}

output "deploy_fingerprint" {
  value = packet_project_ssh_key.deploy.fingerprint
}
