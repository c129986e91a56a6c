# A deploy key on a server that left the platform (or never was on it): no
# API token needed. The key may come from a .pub file, an RFC 4716 file
# (PuTTYgen's "Save public key") or data.packet_ssh_public_key.
resource "packet_authorized_key" "deploy" {
  host       = "203.0.113.10"
  public_key = file("${path.module}/keys/deploy.pub")

  # Optional: authorized_keys options, written before the key and checked at
  # plan time as sshd parses them.
  options = "no-port-forwarding,no-agent-forwarding"

  # Optional: how to log in and whom to trust (never where: that is host,
  # port, user and authorized_keys_path). Without host_key or
  # known_hosts_file the first apply pins the server's host key.
  ssh = {
    private_key_file = "~/.ssh/admin"
    known_hosts_file = "~/.ssh/known_hosts"
  }
}
