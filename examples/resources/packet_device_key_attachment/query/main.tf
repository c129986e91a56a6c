# Terraform 1.14 and later: find the platform keys someone put on a server by
# hand, then adopt them. Run
#   terraform query -generate-config-out=adopted.tf
# to get an import block (by identity) and a resource block for each line.
terraform {
  required_version = ">= 1.14.0"
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}

variable "device_id" {
  type = string
}
