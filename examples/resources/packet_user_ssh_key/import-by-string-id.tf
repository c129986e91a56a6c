# Terraform 1.5 and later: import with a block, then plan.
import {
  to = packet_user_ssh_key.me
  id = "5d0c3e3f-2a4b-4e8d-9d1c-7a6b5c4d3e2f"
}
