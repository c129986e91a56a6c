terraform {
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}

# The API token comes from the PACKET_AUTH_TOKEN (or METAL_AUTH_TOKEN)
# environment variable: nothing to set here. Keeping it out of the
# configuration also keeps it out of plan files.
provider "packet" {
  # Default credentials for packet_device_key_attachment connections.
  ssh {
    private_key_file = "~/.ssh/id_ed25519"
  }
}
