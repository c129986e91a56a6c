# A project key is imported by its id (the UUID the portal and the API show).
terraform import packet_project_ssh_key.deploy 0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11
