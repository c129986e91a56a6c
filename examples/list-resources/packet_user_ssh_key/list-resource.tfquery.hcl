# keys.tfquery.hcl, next to the configuration's provider "packet" block.
# Terraform 1.14 and later: `terraform query -generate-config-out=keys.tf`,
# then `terraform apply` imports the token user's personal keys.
list "packet_user_ssh_key" "mine" {
  provider = packet
  config {
    name_regex = "laptop|desktop"
  }
}
