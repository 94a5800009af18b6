terraform {
  required_providers {
    cloudflare = {
      # The provider's maintained registry entry. 4.39 is the first release
      # with `content` on cloudflare_record; v5 renames the resources.
      source  = "cloudflare/cloudflare"
      version = "~> 4.39"
    }
  }
}

# Credentials come from the environment, never from this file:
#   export CLOUDFLARE_API_TOKEN="<token with Zone:Edit and DNS:Edit>"
provider "cloudflare" {}
