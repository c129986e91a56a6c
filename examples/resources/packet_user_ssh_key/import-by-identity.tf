# Terraform and OpenTofu 1.12 and later: import by identity, as
# `terraform query -generate-config-out` writes it.
import {
  to = packet_user_ssh_key.putty
  identity = {
    id = "5d0c3e3f-2a4b-4e8d-9d1c-7a6b5c4d3e2f"
  }
}
