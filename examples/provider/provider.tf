terraform {
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}

# The token can also come from PACKET_AUTH_TOKEN (or METAL_AUTH_TOKEN).
provider "packet" {
  auth_token = var.packet_auth_token

  # Default credentials for packet_device_key_attachment connections.
  ssh {
    private_key_file = "~/.ssh/id_ed25519"
  }
}

variable "packet_auth_token" {
  type      = string
  sensitive = true
}
