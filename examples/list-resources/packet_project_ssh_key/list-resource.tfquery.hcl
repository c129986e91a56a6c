# keys.tfquery.hcl, next to the configuration's provider "packet" block.
# Terraform 1.14 and later:
#
#   terraform query                                  # list what the project has
#   terraform query -generate-config-out=keys.tf     # resource + import blocks for each
#   terraform apply                                  # imports them; nothing is changed
#
# Every key of the project:
list "packet_project_ssh_key" "all" {
  provider = packet
  config {
    project_id = var.project_id
  }
}

# Filters combine; a key must pass all of them.
list "packet_project_ssh_key" "deploy_keys" {
  provider         = packet
  include_resource = true # every attribute, not only identity and name
  config {
    project_id = var.project_id
    name_regex = "^deploy-"
    algorithm  = "ed25519"
    tag        = "ci"
  }
}

# The one key with this fingerprint, in any form: the portal's MD5 colon hex
# (either case), or SHA256 as ssh-keygen -l prints it.
list "packet_project_ssh_key" "by_fingerprint" {
  provider = packet
  config {
    project_id  = var.project_id
    fingerprint = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
  }
}

variable "project_id" {
  type = string
}
