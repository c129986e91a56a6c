# Fingerprints as the portal shows them (MD5, colon hex) and as `ssh-keygen -l`
# prints them (SHA256), so the keys can be recognised in both places. Nothing
# here depends on the form the key was read from: the demo's last plan reads
# it from another file and must show no change at all, outputs included.
output "project_key" {
  value = {
    id                 = packet_project_ssh_key.putty.id
    fingerprint_md5    = packet_project_ssh_key.putty.fingerprint
    fingerprint_sha256 = packet_project_ssh_key.putty.fingerprint_sha256
  }
}

output "user_key" {
  value = {
    id                 = packet_user_ssh_key.alice.id
    fingerprint_md5    = packet_user_ssh_key.alice.fingerprint
    fingerprint_sha256 = packet_user_ssh_key.alice.fingerprint_sha256
  }
}

output "attached" {
  value = {
    device             = data.packet_device.web.hostname
    fingerprint_md5    = packet_device_key_attachment.putty.fingerprint
    fingerprint_sha256 = packet_device_key_attachment.putty.fingerprint_sha256
  }
}

output "by_address" {
  value = {
    host               = packet_authorized_key.deploy.host
    line               = packet_authorized_key.deploy.authorized_keys_line
    fingerprint_sha256 = packet_authorized_key.deploy.fingerprint_sha256
  }
}

# Read by scripts/demo.sh for the ssh login check.
output "device_host" {
  value = data.packet_device.web.public_ipv4
}

output "device_ssh_port" {
  value = data.packet_device.web.ssh_port
}
