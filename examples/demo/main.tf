# The whole story of the SSH keys guide, offline: `make demo` runs this against
# packet-mock. See README.md in this directory.
terraform {
  required_providers {
    packet = {
      source = "packethost/packet"
    }
  }
}

provider "packet" {
  api_url    = var.api_url
  auth_token = var.token

  # The operator key the device was provisioned with (seed.json): the provider
  # logs in with it to add the new key to the running device.
  ssh {
    private_key_file = "${path.module}/keys/operator"
    agent            = false
  }
}

# 1. A key made with PuTTYgen on Windows. The .ppk file is encrypted, but its
#    public half is stored in clear, so no passphrase is needed. The demo's
#    last plan reads the same key from its one-line OpenSSH form instead.
data "packet_ssh_public_key" "putty" {
  path = "${path.module}/${var.putty_key_file}"
}

# 2. Uploaded as a project key: the API gets the one-line OpenSSH form it accepts.
resource "packet_project_ssh_key" "putty" {
  project_id = var.project_id
  name       = "windows-laptop"
  public_key = data.packet_ssh_public_key.putty.public_key
}

# 3. A personal key from an ordinary OpenSSH .pub file.
resource "packet_user_ssh_key" "alice" {
  name       = "alice@laptop"
  public_key = file("${path.module}/keys/alice.pub")
}

# 4. The server already runs, so the platform will not copy the new project key
#    onto it: the attachment appends it to root's authorized_keys over SSH.
resource "packet_device_key_attachment" "putty" {
  device_id  = var.device_id
  ssh_key_id = packet_project_ssh_key.putty.id
}

# Where and how to reach the device: for packet_authorized_key and the login check.
data "packet_device" "web" {
  id = var.device_id
}

# 5. Any SSH server, on the platform or off it: the same engine, by address.
#    No device id, no key id, no API call: this is the resource that keeps
#    working after the platform's end (guide: "Your servers left the
#    platform"). A deploy key, kept from forwarding anything; the host key is
#    pinned on first use as the attachment's is.
resource "packet_authorized_key" "deploy" {
  host       = data.packet_device.web.public_ipv4
  port       = data.packet_device.web.ssh_port
  public_key = file("${path.module}/keys/deploy.pub")
  options    = "no-port-forwarding,no-agent-forwarding,no-X11-forwarding"
}
