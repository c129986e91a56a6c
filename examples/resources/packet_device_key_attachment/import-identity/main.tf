# Terraform 1.12 and later (OpenTofu 1.12 too): import an attachment by its
# identity, the device and the key, then plan.
terraform {
  required_version = ">= 1.12.0"
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}

import {
  to = packet_device_key_attachment.oncall
  identity = {
    device_id  = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
    ssh_key_id = "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11"
  }
}

resource "packet_device_key_attachment" "oncall" {
  device_id  = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
  ssh_key_id = "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11"
}
