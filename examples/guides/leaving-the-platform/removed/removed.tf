# These blocks replace the resource blocks: delete each resource from the
# configuration and name it here instead. One block per resource; a resource
# with count or for_each needs one block, without the index.

removed {
  from = packet_project_ssh_key.deploy

  lifecycle {
    destroy = false
  }
}

removed {
  from = packet_user_ssh_key.laptop

  lifecycle {
    destroy = false
  }
}

# The archived provider's name for a personal key.
removed {
  from = packet_ssh_key.old_laptop

  lifecycle {
    destroy = false
  }
}

# Forgetting an attachment leaves its line in the server's authorized_keys:
# nothing logs in to the server.
removed {
  from = packet_device_key_attachment.deploy

  lifecycle {
    destroy = false
  }
}

# Keys the equinix/equinix provider (v4 or earlier) wrote into state.
removed {
  from = equinix_metal_project_ssh_key.deploy

  lifecycle {
    destroy = false
  }
}

removed {
  from = equinix_metal_ssh_key.laptop

  lifecycle {
    destroy = false
  }
}
