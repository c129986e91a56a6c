# Terraform 1.5 and later: import with a block, then plan.
import {
  to = packet_project_ssh_key.deploy
  id = "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11"
}
