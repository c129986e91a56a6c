# Terraform and OpenTofu 1.12 and later: import by identity, as
# `terraform query -generate-config-out` writes it. project_id is optional;
# when given, a key of another project is refused instead of adopted.
import {
  to = packet_project_ssh_key.windows_admin
  identity = {
    id         = "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11"
    project_id = "6f4b1e2a-9c3d-4e5f-8a7b-1c2d3e4f5a6b"
  }
}
