# Your servers left the platform: the attachment becomes a
# packet_authorized_key with the same line, ownership, options and pinned
# host key, and nothing changes on the server. No API token is needed.
#
# Before:
#   resource "packet_device_key_attachment" "oncall" {
#     device_id  = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
#     ssh_key_id = packet_project_ssh_key.oncall.id
#   }
moved {
  from = packet_device_key_attachment.oncall
  to   = packet_authorized_key.oncall
}

resource "packet_authorized_key" "oncall" {
  host       = "203.0.113.10" # the attachment's ssh_address, now the server's own address
  public_key = file("${path.module}/keys/deploy.pub")
}
