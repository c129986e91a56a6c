# Deprecated: the archived packethost/packet provider's name for a personal key.
# Configurations and state written for that provider keep working as they are.
resource "packet_ssh_key" "laptop" {
  name       = "laptop"
  public_key = file("~/.ssh/id_ed25519.pub")
}

# To move on, rename the resource and say where it came from: the key is
# neither destroyed nor created again (Terraform 1.8 or later).
#
# resource "packet_user_ssh_key" "laptop" {
#   name       = "laptop"
#   public_key = file("~/.ssh/id_ed25519.pub")
# }
#
# moved {
#   from = packet_ssh_key.laptop
#   to   = packet_user_ssh_key.laptop
# }
