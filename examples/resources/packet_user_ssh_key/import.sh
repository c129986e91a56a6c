# A personal key is imported by its id.
terraform import packet_user_ssh_key.me 5d0c3e3f-2a4b-4e8d-9d1c-7a6b5c4d3e2f
