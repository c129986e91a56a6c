variable "project_id" {
  type = string
}

# By name (the portal's label), matched exactly.
data "packet_project_ssh_key" "deploy" {
  project_id = var.project_id
  name       = "deploy"
}

# By fingerprint: the MD5 form the portal shows, or the SHA256 form of
# `ssh-keygen -l -f key.pub`.
data "packet_project_ssh_key" "ci" {
  project_id  = var.project_id
  fingerprint = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
}

# By the key itself: another comment or the RFC 4716 form of the same key
# matches too.
data "packet_project_ssh_key" "mine" {
  project_id = var.project_id
  public_key = file("~/.ssh/id_ed25519.pub")
}

output "deploy_key_id" {
  value = data.packet_project_ssh_key.deploy.id
}
