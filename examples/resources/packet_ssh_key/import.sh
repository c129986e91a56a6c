# Imported by the key's id, as packet_user_ssh_key.
terraform import packet_ssh_key.laptop 5d0c3e3f-2a4b-4e8d-9d1c-7a6b5c4d3e2f
