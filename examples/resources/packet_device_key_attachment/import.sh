# An attachment is imported by <device_id>/<ssh_key_id>.
terraform import packet_device_key_attachment.oncall 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f/0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11
